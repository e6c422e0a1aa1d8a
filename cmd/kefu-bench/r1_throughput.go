package main

// R1: messages per second from visitors' widgets, stored, to the agent's
// console, beside what PostgreSQL does with a single-row insert of the same
// row by as many clients; and, under that load, the CPU profile and the
// statements each message costs.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
)

// profiledClients is the client count whose run is profiled, when it is measured.
const profiledClients = 8

func (b *bench) throughput(ctx context.Context) error {
	profiled := profiledClients
	if !slices.Contains(b.opts.clients, profiled) {
		profiled = slices.Max(b.opts.clients)
	}
	best := 0.0
	for _, n := range b.opts.clients {
		// The reference runs before and after kefu, and their mean is
		// what kefu is compared with: the disk's pace drifts.
		b.progress("R1: %s: single-row inserts, kefu, single-row inserts again, %s each", clientsOf(n), b.opts.window)
		// Each of the three meets a server that carries only its own work.
		if err := b.clean(ctx, "R1's inserts"); err != nil {
			return err
		}
		before, err := b.insertRate(ctx, n)
		if err != nil {
			return err
		}
		if err := b.clean(ctx, "R1's kefu"); err != nil {
			return err
		}
		f, load, err := b.kefuRate(ctx, n, n == profiled)
		if err != nil {
			return err
		}
		if err := b.clean(ctx, "R1's inserts again"); err != nil {
			return err
		}
		after, err := b.insertRate(ctx, n)
		if err != nil {
			return err
		}
		inserts := (before + after) / 2
		best = max(best, f.rate())
		target := ""
		if n == 8 {
			target = "≥ 0.3"
		}
		b.rows = append(b.rows,
			row{figure: "R1 messages/s, " + clientsOf(n), kefu: fmt.Sprintf("%.0f msg/s", f.rate()),
				reference: fmt.Sprintf("%.0f inserts/s (%.0f, %.0f)", inserts, before, after), ratio: ratio(f.rate(), inserts), target: target, load: load},
			row{figure: "R1 received by the agent, " + clientsOf(n),
				kefu: fmt.Sprintf("%.1f %%", 100*f.share()), reference: fmt.Sprintf("%d of %d", f.received, f.stored),
				target: "≥ 95 %", load: load})
	}
	b.rate = best / 2
	return nil
}

func clientsOf(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}

// insertSQL is the store's insert of a message, as it sends it.
const insertSQL = `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, type, body, code, args)
	VALUES ($1, $2, $3, $4, 'text', $5, NULL, '{}')
	ON CONFLICT (sender_id, client_msg_id) DO NOTHING
	RETURNING id, created_at`

// insertRate is the reference: n clients, each on its own connection and
// in its own scratch conversation of a fresh database, inserting the row a
// message is, one durable commit per insert, as fast as they can.
func (b *bench) insertRate(ctx context.Context, n int) (float64, error) {
	w, err := b.openWriters(ctx, n)
	if err != nil {
		return 0, err
	}
	defer w.close(ctx)
	deadline := time.Now().Add(b.opts.window)
	var inserted atomic.Int64
	err = inParallel(n, n, func(i int) error {
		for time.Now().Before(deadline) {
			if err := w.insert(ctx, i); err != nil {
				return err
			}
			inserted.Add(1) // begun within the window, as flood counts kefu's messages
		}
		return nil
	})
	return float64(inserted.Load()) / b.opts.window.Seconds(), err
}

// writers are the references' clients: each on its own connection, in
// its own scratch conversation of a fresh database.
type writers struct {
	db         *store.DB
	ids, convs []int64
	seqs       []int64 // the last seq each has taken
	conns      []*pgx.Conn
}

func (b *bench) openWriters(ctx context.Context, n int) (*writers, error) {
	db, dbURL, err := b.pg.openDatabase(ctx)
	if err != nil {
		return nil, err
	}
	w := &writers{db: db, convs: make([]int64, n), seqs: make([]int64, n), conns: make([]*pgx.Conn, n)}
	if _, err := ensureAgent(ctx, db); err != nil { // someone to write to
		w.close(ctx)
		return nil, err
	}
	if w.ids, _, err = createVisitors(ctx, db, n); err != nil {
		w.close(ctx)
		return nil, err
	}
	err = inParallel(n, n, func(i int) error {
		msg, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: w.ids[i], ClientMsgID: "first", Body: "hello"})
		w.convs[i], w.seqs[i] = msg.ConversationID, msg.Seq
		if err == nil {
			w.conns[i], err = pgx.Connect(ctx, dbURL)
		}
		return err
	})
	if err != nil {
		w.close(ctx)
		return nil, err
	}
	return w, nil
}

// insert has writer i insert its next row, with its durable commit.
func (w *writers) insert(ctx context.Context, i int) error {
	w.seqs[i]++
	seq := w.seqs[i]
	var id int64
	var created time.Time
	return w.conns[i].QueryRow(ctx, insertSQL, w.convs[i], seq, w.ids[i], fmt.Sprint("ref", seq), fmt.Sprint("bench ref", seq)).
		Scan(&id, &created)
}

func (w *writers) close(ctx context.Context) {
	for _, conn := range w.conns {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}
	w.db.Close()
}

// kefuRate floods one instance with n visitors for the window; their
// widgets and the agent's console live in a child process (`kefu-bench
// flood`), so that this process, which the profile samples, is kefu's. A
// profiled run also writes the CPU profile and counts the statements per
// message.
func (b *bench) kefuRate(ctx context.Context, n int, profiled bool) (flow, string, error) {
	k, err := b.freshInstance(ctx)
	if err != nil {
		return flow{}, "", err
	}
	defer k.stop()
	flooder, err := b.playCast(ctx, k, n, 5*time.Minute, "flood", "-d", b.opts.window.String())
	if err != nil {
		return flow{}, "", err
	}
	defer flooder.stop()
	ask := func(what string) (floodReport, error) {
		var got floodReport
		line, err := flooder.ask(what, b.opts.window+time.Minute)
		if err == nil {
			err = json.Unmarshal([]byte(line), &got)
		}
		if err == nil && got.Err != "" {
			err = errors.New(got.Err)
		}
		return got, err
	}
	var lastID int64
	stopProfile := func() {}
	if profiled {
		if err := k.db.Pool().QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM messages").Scan(&lastID); err != nil {
			return flow{}, "", err
		}
		if err := b.pg.resetStatements(ctx); err != nil {
			return flow{}, "", err
		}
		if stopProfile, err = b.startProfile(n); err != nil {
			return flow{}, "", err
		}
	}
	got, err := ask("go")
	load := loadAverage()
	stopProfile()
	if err != nil {
		return flow{}, load, err
	}
	f := flow{stored: got.Stored, received: got.Received, elapsed: b.opts.window}
	if got.Retried+got.Refused > 0 {
		b.notes = append(b.notes, fmt.Sprintf("R1, %s: kefu asked for %d sends again and refused %d", clientsOf(n), got.Retried, got.Refused))
	}
	if !profiled {
		return f, load, nil
	}
	// The statements of the deliveries still on their way count too: wait
	// for them a little, and say how many had arrived.
	settled, err := ask("settle")
	if err != nil {
		return f, load, err
	}
	if b.statements, err = b.pg.statements(ctx, k.dbURL); err != nil {
		return f, load, err
	}
	b.statements.delivered = settled.Delivered
	if err := k.db.Pool().QueryRow(ctx, "SELECT count(*) FROM messages WHERE id > $1", lastID).Scan(&b.statements.messages); err != nil {
		return f, load, err
	}
	return f, load, b.statements.write(filepath.Join(filepath.Dir(b.profile.path), fmt.Sprintf("statements-r1-%dclients.txt", n)))
}

// floodReport is what `kefu-bench flood` answers: to "go", the flow of a
// flood and the sends kefu asked again or refused; to "settle", the
// deliveries the console had received since the flood began, once it is
// quiet.
type floodReport struct {
	Stored, Received, Delivered int64
	Retried, Refused            int64
	Err                         string `json:",omitempty"`
}

// floodSends is the child's side of R1: it opens the widgets and the
// console of a cast on kefu, says it is ready, and then answers each line
// its parent writes: "go" floods for the window (scenario.flood), and
// "settle" waits for the console to be quiet.
func floodSends(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	d := fs.Duration("d", 5*time.Second, "how long a flood lasts")
	sc, err := openCast(ctx, fs, args)
	if err != nil {
		return err
	}
	defer sc.close()
	fmt.Println("ready", len(sc.visitors))
	began := sc.console.moved.Load()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var got floodReport
		switch in.Text() {
		case "go":
			began = sc.console.moved.Load()
			f, err := sc.flood(ctx, *d)
			got.Stored, got.Received = f.stored, f.received
			got.Retried, got.Refused = sc.problems()
			if err != nil {
				got.Err = err.Error()
			}
		case "settle":
			if err := sc.console.settle(ctx, settleTime); err != nil {
				got.Err = err.Error()
			}
			got.Delivered = sc.console.moved.Load() - began
		default:
			got.Err = fmt.Sprintf("flood: %q is not something it does", in.Text())
		}
		line, err := json.Marshal(got)
		if err != nil {
			return err
		}
		fmt.Println(string(line))
	}
	return in.Err()
}

// profileReport names the CPU profile and holds its top entries.
type profileReport struct {
	path    string
	clients int
	top     string
}

// startProfile starts the CPU profile of an R1 run; the function it
// returns stops it and reads its top entries.
func (b *bench) startProfile(clients int) (func(), error) {
	path, stop, err := b.cpuProfile(fmt.Sprintf("cpu-r1-%dclients.pprof", clients))
	if err != nil {
		return nil, err
	}
	return func() {
		stop()
		b.profile = profileReport{path: path, clients: clients, top: topOfProfile(path)}
	}, nil
}

// cpuProfile starts a CPU profile written to name in the output directory,
// and returns its absolute path and the function that stops it.
func (b *bench) cpuProfile(name string) (string, func(), error) {
	if err := os.MkdirAll(b.opts.out, 0o755); err != nil {
		return "", nil, err
	}
	path, err := filepath.Abs(filepath.Join(b.opts.out, name))
	if err != nil {
		return "", nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return "", nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return "", nil, err
	}
	return path, func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
