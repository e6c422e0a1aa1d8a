package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/config"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

// userAdd is `kefu user add -email … [-name …] [-agent]`: it creates a member
// who signs in with a password (KEFU_USER_PASSWORD, or generated and printed
// once) and, with -agent, lists them in customer_service_uids. With the
// private PostgreSQL it runs while kefu is stopped; with DATABASE_URL, any time.
func userAdd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kefu user add", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the user's email, which they sign in with")
	name := fs.String("name", "", "the name shown beside their messages")
	agent := fs.Bool("agent", false, "make them customer service (an agent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email {
		return fmt.Errorf("user add: -email %q is not an email address", *email)
	}
	password, generated := cfg.UserPassword, false
	if password == "" {
		password, generated = auth.RandomPassword(), true
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, cfg, slog.New(slog.DiscardHandler), localpg.Start)
	if err != nil {
		return err
	}
	defer d.close()
	db := d.db
	u, err := db.CreateMember(ctx, store.NewMember{Email: *email, Name: *name, PasswordHash: hash})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if *agent {
		if err := db.SetAgent(ctx, 0, u.ID, true); err != nil {
			return fmt.Errorf("user add: created user %d, but could not make them an agent: %w", u.ID, err)
		}
	}
	fmt.Fprintf(stdout, "kefu: created user %d (%s)", u.ID, u.Email)
	if *agent {
		fmt.Fprint(stdout, ", an agent")
	}
	if generated {
		fmt.Fprintf(stdout, ", with the password %s (shown only this once)", password)
	}
	fmt.Fprintln(stdout)
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
	d, err := openDB(ctx, cfg, slog.New(slog.DiscardHandler), localpg.Start)
	if err != nil {
		return err
	}
	defer d.close()
	db := d.db
	u, _, err := db.MemberByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("user %s: no member with the email %q", verb, *email)
	}
	if err := db.SetDisabled(ctx, 0, u.ID, disabled); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kefu: user %d (%s) %sd\n", u.ID, u.Email, verb)
	return nil
}
