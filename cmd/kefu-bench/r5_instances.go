package main

// R5: two kefu instances on one database, the visitors' widgets on one and
// the agent's console on the other, beside one instance doing both; with
// their bus LISTEN/NOTIFY, and NATS when nats-server is installed.

import (
	"context"
	"fmt"
)

// r5Clients is how many visitors write in R5.
const r5Clients = 8

func (b *bench) instances(ctx context.Context) error {
	b.progress("R5: one instance, %d clients", r5Clients)
	one, err := b.chatAcross(ctx, 1, "")
	if err != nil {
		return err
	}
	b.progress("R5: two instances, %d clients", r5Clients)
	two, err := b.chatAcross(ctx, 2, "")
	if err != nil {
		return err
	}
	b.compareInstances(one, two, "")
	bin := natsBinary()
	if bin == "" {
		b.notes = append(b.notes, "R5 over NATS: not measured, nats-server is not installed (make deps installs it)")
		return nil
	}
	nats, err := startNATS(ctx, bin)
	if err != nil {
		return err
	}
	defer nats.stop()
	b.progress("R5: two instances over NATS, %d clients", r5Clients)
	overNATS, err := b.chatAcross(ctx, 2, nats.url)
	if err != nil {
		return err
	}
	b.compareInstances(one, overNATS, " over NATS")
	return nil
}

// compareInstances adds R5's rows: two instances (over bus) beside one.
func (b *bench) compareInstances(one, two crossing, bus string) {
	load := loadAverage()
	p99one, ok1 := one.latencies.at(0.99)
	p99two, ok2 := two.latencies.at(0.99)
	added := "-"
	if ok1 && ok2 {
		added = ms(p99two - p99one)
	}
	b.rows = append(b.rows,
		row{figure: fmt.Sprintf("R5 messages/s, two instances%s ÷ one, %d clients", bus, r5Clients),
			kefu: fmt.Sprintf("%.0f msg/s", two.flow.rate()), reference: fmt.Sprintf("%.0f msg/s", one.flow.rate()),
			ratio: ratio(two.flow.rate(), one.flow.rate()), target: "≥ 0.9", load: load},
		row{figure: "R5 received by the agent, two instances" + bus, kefu: fmt.Sprintf("%.1f %%", 100*two.flow.share()),
			reference: fmt.Sprintf("%.1f %% on one", 100*one.flow.share()), target: "≥ 95 %", load: load},
		row{figure: fmt.Sprintf("R5 p99 added by a second instance%s, %.0f msg/s", bus, b.rate), kefu: added,
			reference: fmt.Sprintf("p99 %s → %s", quantile(p99one, ok1), quantile(p99two, ok2)), target: "≤ 5 ms", load: load})
}

// crossing is what visitors on one instance and an agent on another moved.
type crossing struct {
	flow      flow
	latencies latencies
}

// chatAcross runs R5's clients on a fresh database served by count
// instances (their bus NATS at natsURL, if set): the widgets on the first,
// the console on the last. It paces
// at b.rate for warmUp and the window, timing the window, then floods for
// the window.
func (b *bench) chatAcross(ctx context.Context, count int, natsURL string) (crossing, error) {
	var c crossing
	dbURL, err := b.pg.database(ctx)
	if err != nil {
		return c, err
	}
	var ks []*instance
	defer func() {
		for _, k := range ks {
			k.stop()
		}
	}()
	for range count {
		k, err := startInstance(ctx, dbURL, natsURL)
		if err != nil {
			return c, err
		}
		ks = append(ks, k)
	}
	sc, err := newScenario(ctx, ks[0], ks[len(ks)-1], r5Clients)
	if err != nil {
		return c, err
	}
	defer sc.close()
	defer b.noteProblems(fmt.Sprintf("R5, %d instances", count), sc)
	// Latency first: the flood may leave deliveries behind, which would
	// be timed with the paced messages.
	if _, c.latencies, err = sc.paced(ctx, b.rate, b.opts.window); err != nil {
		return c, err
	}
	if err := sc.console.settle(ctx, settleTime); err != nil {
		b.progress("R5: the paced messages' deliveries were still arriving when the flood began: %v", err)
	}
	c.flow, err = sc.flood(ctx, b.opts.window)
	return c, err
}
