package handlers

import (
	"context"
	"time"

	"github.com/kefu-im/kefu/auth"
)

// keepPresence records the console socket while it lives: the presence row
// is refreshed three times per grace period and marked closed at the end,
// which starts an agent's grace period. On each refresh the socket closes
// if its session has ended. It returns the function that ends it.
func (s *consoleSocket) keepPresence() (stop func()) {
	h := s.h
	cfg := h.Routing
	socketID := auth.NewToken()
	touch := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.TouchPresence(ctx, socketID, s.user.ID, h.Now()); err != nil {
			h.Logger.Warn("agent presence failed", "user_id", s.user.ID, "err", err)
		}
	}
	// A routing profile first: presence without one would not make an agent eligible.
	if s.agent {
		if err := h.DB.EnsureAgent(h.Base, s.user.ID); err != nil {
			h.Logger.Warn("agent profile failed", "user_id", s.user.ID, "err", err)
		}
	}
	touch()
	halt := repeat(cfg.Grace/3, func() {
		touch()
		s.closeIfSessionEnded()
	})
	return func() {
		halt()
		// The grace period starts now; the socket no longer holds back pushes.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.ClosePresence(ctx, socketID, h.Now()); err != nil {
			h.Logger.Warn("agent presence failed", "user_id", s.user.ID, "err", err)
		}
	}
}

// closeIfSessionEnded closes the socket once the session it was opened with
// no longer holds: it expired (idle or too old), or it ended without a word
// on the bus.
func (s *consoleSocket) closeIfSessionEnded() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.h.Base), 5*time.Second)
	defer cancel()
	live, err := s.h.DB.SessionLive(ctx, s.session)
	if err != nil {
		s.h.Logger.Warn("session check failed", "user_id", s.user.ID, "err", err)
		return
	}
	if !live {
		s.conn.Close(statusDisabled, "session ended")
	}
}
