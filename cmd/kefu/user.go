package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/config"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

// The `kefu user` commands work whether kefu is serving or stopped. With the
// private PostgreSQL they reach the server of a serving kefu through its
// socket, or else start it for the command and stop it afterwards.

// openForCommand opens the database for one command. When NATS carries the
// bus, the command's changes are published there, so that serving
// instances hear of them; a failure to is reported on stdout.
func openForCommand(ctx context.Context, cfg config.Config, stdout io.Writer) (*database, error) {
	d, err := openDB(ctx, cfg, slog.New(slog.DiscardHandler), localpg.Open)
	if err != nil || cfg.NATSURL == "" {
		return d, err
	}
	warn := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	bus := live.NewNATSBus(cfg.NATSURL, store.BusChannel, warn, nil, nil)
	if err := bus.Connect(); err != nil {
		d.close()
		return nil, err
	}
	d.db = d.db.WithPublisher(bus)
	d.closeBus = func() {
		if err := bus.Close(); err != nil {
			warn.Warn("serving instances may not show the change until they resync", "err", err)
		}
	}
	return d, nil
}

// userAdd is `kefu user add -email … [-name …] [-agent] [-admin]`: it creates
// a member who signs in with a password (KEFU_USER_PASSWORD, or generated and
// printed once). With -agent they are listed in customer_service_uids; an
// admin is listed too, like the first admin, unless customer_service_uids is
// false.
func userAdd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kefu user add", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the user's email, which they sign in with")
	name := fs.String("name", "", "the name shown beside their messages")
	agent := fs.Bool("agent", false, "make them customer service (an agent)")
	admin := fs.Bool("admin", false, "make them an admin (and customer service, unless customer_service_uids is false)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := needEmail("add", *email); err != nil {
		return err
	}
	if !chat.ValidEmail(*email) {
		return fmt.Errorf("user add: -email %q is not an email address", *email)
	}
	if !chat.ValidName(*name) {
		return fmt.Errorf("user add: -name is at most %d characters of text", chat.MaxNameChars)
	}
	password, generated := newPassword(cfg)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	d, err := openForCommand(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer d.close()
	db := d.db
	list, err := db.AgentList(ctx)
	if err != nil {
		return err
	}
	if *agent && list.Unrestricted {
		// Refused before the member exists, so a refusal creates nobody.
		return errors.New("user add: customer_service_uids is false (no restriction), so nobody can be made an agent; choose a customer service list in the admin settings first")
	}
	u, err := db.CreateMember(ctx, store.NewMember{Email: *email, Name: *name, PasswordHash: hash, IsAdmin: *admin})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	listed := *agent || (*admin && !list.Unrestricted)
	if listed {
		if err := db.SetAgent(ctx, 0, u.ID, true); err != nil {
			return fmt.Errorf("user add: created user %d, but could not make them an agent: %w", u.ID, err)
		}
	}
	var roles []string
	if *admin {
		roles = append(roles, "an admin")
	}
	if listed {
		roles = append(roles, "an agent")
	}
	fmt.Fprintf(stdout, "kefu: created user %d (%s)", u.ID, u.Email)
	if len(roles) > 0 {
		fmt.Fprint(stdout, ", "+strings.Join(roles, " and "))
	}
	if generated {
		fmt.Fprintf(stdout, ", with the password %s (shown only this once)", password)
	}
	fmt.Fprintln(stdout)
	return nil
}

// userPasswd is `kefu user passwd -email …`: it gives a member a new password
// (KEFU_USER_PASSWORD, or generated and printed once) and, as a reset on the
// admin page does, ends every session they have and closes their sockets.
// An admin who lost their password gets back in with it.
func userPasswd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kefu user passwd", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the user's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := needEmail("passwd", *email); err != nil {
		return err
	}
	password, generated := newPassword(cfg)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	d, err := openForCommand(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer d.close()
	u, err := memberByEmail(ctx, d.db, "passwd", *email)
	if err != nil {
		return err
	}
	if err := d.db.ResetPassword(ctx, 0, u.ID, hash); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	fmt.Fprintf(stdout, "kefu: set a new password for user %d (%s)", u.ID, u.Email)
	if generated {
		fmt.Fprintf(stdout, ": %s (shown only this once)", password)
	}
	fmt.Fprintln(stdout, "; their sessions are signed out")
	return nil
}

// userSetDisabled is `kefu user disable -email …` and `kefu user enable -email …`.
// Disabling closes the user's sockets on every instance and ends their sessions.
func userSetDisabled(ctx context.Context, cfg config.Config, args []string, disabled bool, stdout io.Writer) error {
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	fs := flag.NewFlagSet("kefu user "+verb, flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the user's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := needEmail(verb, *email); err != nil {
		return err
	}
	d, err := openForCommand(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer d.close()
	u, err := memberByEmail(ctx, d.db, verb, *email)
	if err != nil {
		return err
	}
	if err := d.db.SetDisabled(ctx, 0, u.ID, disabled); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kefu: user %d (%s) %sd\n", u.ID, u.Email, verb)
	return nil
}

// newPassword is KEFU_USER_PASSWORD, or else a generated one.
func newPassword(cfg config.Config) (password string, generated bool) {
	if cfg.UserPassword != "" {
		return cfg.UserPassword, false
	}
	return auth.RandomPassword(), true
}

// needEmail refuses a `kefu user <verb>` command given no -email, before it
// opens the database.
func needEmail(verb, email string) error {
	if strings.TrimSpace(email) == "" {
		return fmt.Errorf("user %s: -email is required, as in: kefu user %s -email sam@example.com", verb, verb)
	}
	return nil
}

// memberByEmail finds the member a `kefu user <verb>` command names.
func memberByEmail(ctx context.Context, db *store.DB, verb, email string) (chat.User, error) {
	u, _, err := db.MemberByEmail(ctx, email)
	if errors.Is(err, chat.ErrNotFound) {
		return u, fmt.Errorf("user %s: no member with the email %q", verb, email)
	}
	if err != nil {
		return u, fmt.Errorf("user %s: %w", verb, err)
	}
	return u, nil
}
