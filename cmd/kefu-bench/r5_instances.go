package main

// R5: two kefu instances on one database, the visitors' widgets on one and
// the agent's console on the other, beside one instance doing both; with
// their bus LISTEN/NOTIFY, and NATS when nats-server is installed.
//
// The setups are measured in turns, each for a part of the window, so that
// what the machine does meanwhile (another tenant, a flush, a collection)
// falls on all of them alike: measured one after the other, a one-instance
// p99 of 25 ms beside a two-instance one of 20 ms, or of 1.4 s beside 0.1 s,
// said nothing of the second instance. They flood first; then they are
// paced at half what one instance took in the flood, as R2 runs at half
// R1's best. Paced at R2's own rate, eight clients kept one instance near
// its capacity and its p99 at 0.1–1 s, and the difference said nothing
// either.

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// r5Clients is how many visitors write in R5.
const r5Clients = 8

// r5Turns is how many turns each setup floods; each turn lasts a third of
// the window.
const r5Turns = 3

// r5PacedTurns is how many turns each setup is paced and timed, each as
// long as a flood's turn; the first is preceded by warmUp at the pace.
const r5PacedTurns = 6

// crossing is what visitors on one instance and an agent on another moved.
type crossing struct {
	flow      flow
	latencies latencies
}

// r5Setup is one of R5's setups: count instances on a database of their
// own, the widgets on the first and the console on the last.
type r5Setup struct {
	name string // for the progress lines and notes
	bus  string // "" or " over NATS", for the rows
	ks   []*instance
	sc   *scenario
	got  crossing
}

func (b *bench) instances(ctx context.Context) error {
	setups := []*r5Setup{{name: "one instance"}, {name: "two instances"}}
	if bin := natsBinary(); bin == "" {
		b.notes = append(b.notes, "R5 over NATS: not measured, nats-server is not installed (make deps installs it)")
	} else {
		nats, err := startNATS(ctx, bin)
		if err != nil {
			return err
		}
		defer nats.stop()
		setups = append(setups, &r5Setup{name: "two instances over NATS", bus: " over NATS"})
		defer func() { setups[2].close(b) }() // before NATS stops
		if err := b.openSetup(ctx, setups[2], 2, nats.url); err != nil {
			return err
		}
	}
	for i, s := range setups[:2] {
		defer s.close(b)
		if err := b.openSetup(ctx, s, i+1, ""); err != nil {
			return err
		}
	}
	turn := b.opts.window / r5Turns
	for t := range r5Turns {
		for _, s := range setups {
			b.progress("R5: %s, %d clients flooding, turn %d of %d", s.name, r5Clients, t+1, r5Turns)
			f, err := s.sc.flood(ctx, turn)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.got.flow.stored += f.stored
			s.got.flow.received += f.received
			s.got.flow.elapsed += f.elapsed
			// What a turn left on its way arrives before the next one
			// counts, as it would not within its own window, and before
			// the paced messages are timed.
			if err := s.sc.console.settle(ctx, settleTime); err != nil {
				b.notes = append(b.notes, fmt.Sprintf("R5, %s: deliveries were still arriving after a flood's turn (%v): "+
					"what it left may count in the next turn, or be timed as a paced message", s.name, err))
			}
		}
	}
	rate := setups[0].got.flow.rate() / 2
	for t := range r5PacedTurns {
		for _, s := range setups {
			b.progress("R5: %s, %.0f messages/s, turn %d of %d", s.name, rate, t+1, r5PacedTurns)
			warm := time.Duration(0)
			if t == 0 {
				warm = warmUp
			}
			_, steady, err := s.sc.paced(ctx, rate, warm, turn)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.got.latencies.arrived = append(s.got.latencies.arrived, steady.arrived...)
			s.got.latencies.sent += steady.sent
		}
	}
	for _, s := range setups {
		slices.Sort(s.got.latencies.arrived)
	}
	for _, s := range setups[1:] {
		b.compareInstances(setups[0].got, s.got, s.bus, rate)
	}
	return nil
}

// openSetup starts s's count instances on a fresh database (their bus NATS
// at natsURL, if set) and R5's clients: the widgets on the first instance,
// the console on the last.
func (b *bench) openSetup(ctx context.Context, s *r5Setup, count int, natsURL string) error {
	b.progress("R5: starting %s, %d clients", s.name, r5Clients)
	dbURL, err := b.pg.database(ctx)
	if err != nil {
		return err
	}
	for range count {
		k, err := startInstance(ctx, dbURL, natsURL)
		if err != nil {
			return err
		}
		s.ks = append(s.ks, k)
	}
	s.sc, err = newScenario(ctx, s.ks[0], s.ks[len(s.ks)-1], r5Clients)
	return err
}

// close ends s's clients and instances, noting what kefu asked again or refused.
func (s *r5Setup) close(b *bench) {
	if s.sc != nil {
		b.noteProblems("R5, "+s.name, s.sc)
		s.sc.close()
	}
	for _, k := range s.ks {
		k.stop()
	}
}

// compareInstances adds R5's rows: two instances (over bus) beside one.
// Their latencies were timed at rate messages/s.
func (b *bench) compareInstances(one, two crossing, bus string, rate float64) {
	load := loadAverage()
	p50one, ok501 := one.latencies.at(0.50)
	p50two, ok502 := two.latencies.at(0.50)
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
		row{figure: fmt.Sprintf("R5 p99 added by a second instance%s, %.0f msg/s", bus, rate), kefu: added,
			reference: fmt.Sprintf("p50 %s → %s, p99 %s → %s", quantile(p50one, ok501), quantile(p50two, ok502),
				quantile(p99one, ok1), quantile(p99two, ok2)), target: "≤ 5 ms", load: load})
}
