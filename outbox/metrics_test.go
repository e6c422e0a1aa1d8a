package outbox_test

import (
	"errors"
	"testing"

	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/metrics/metricstest"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
)

func TestEachOutcomeIsCounted(t *testing.T) {
	t.Parallel()
	unneeded := outbox.Attempt{Skip: true, Err: errors.New("the message was read")}
	tb := newTable(&outboxtest.Clock{}, 4, serverError, notFound, unneeded, outbox.Attempt{Gone: true})
	m := metrics.New(nil)
	w := newWorker(tb, outbox.Config{Metrics: m})
	round(t, w, 4)
	round(t, w, 1) // the one that failed, tried again: delivered
	s := metricstest.Of(t, m)
	for outcome, want := range map[string]float64{"delivered": 1, "retried": 1, "given_up": 1, "skipped": 2} {
		series := `kefu_outbox_outcomes_total{outbox="test",outcome="` + outcome + `"}`
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
}
