package caddymodule

import (
	"errors"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics live for the whole process, so counts survive reloads; each
// configuration registers them in its own registry.
var (
	deliveriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "caddy_cms_webhooks_deliveries_total",
		Help: "Delivery attempts of event handlers and submit actions by webhook and outcome: delivered, retry (failed, to be retried), dead (failed for good), queue_full (stored as dead without an attempt).",
	}, []string{"webhook", "outcome"})

	attemptDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "caddy_cms_webhooks_attempt_duration_seconds",
		Help:    "Duration of delivery attempts, from sending the request to reading the answer.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
	}, []string{"webhook"})

	validationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "caddy_cms_webhooks_validation_verdicts_total",
		Help: "Validation action calls by webhook and verdict: valid, invalid, error (no usable answer).",
	}, []string{"webhook", "verdict"})

	validationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "caddy_cms_webhooks_validation_duration_seconds",
		Help:    "Duration of validation action calls.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
	}, []string{"webhook"})

	queueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "caddy_cms_webhooks_queue_depth",
		Help: "Pending deliveries, those in flight included.",
	}, func() float64 {
		n := 0
		eachDispatcher(func(p pooledDispatcher) { n += p.Pending() })
		return float64(n)
	})

	oldestPending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "caddy_cms_webhooks_oldest_pending_age_seconds",
		Help: "Age of the oldest pending delivery; 0 when none is pending.",
	}, func() float64 {
		var oldest time.Time
		eachDispatcher(func(p pooledDispatcher) {
			if t := p.OldestPending(); !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
				oldest = t
			}
		})
		if oldest.IsZero() {
			return 0
		}
		return time.Since(oldest).Seconds()
	})
)

// observer turns dispatcher measurements into the metrics.
var observer = metricsObserver{}

type metricsObserver struct{}

func (metricsObserver) Attempt(webhook, outcome string, took time.Duration) {
	deliveriesTotal.WithLabelValues(webhook, outcome).Inc()
	if outcome != "queue_full" {
		attemptDuration.WithLabelValues(webhook).Observe(took.Seconds())
	}
}

func (metricsObserver) Verdict(webhook, verdict string, took time.Duration) {
	validationsTotal.WithLabelValues(webhook, verdict).Inc()
	validationDuration.WithLabelValues(webhook).Observe(took.Seconds())
}

// registerMetrics adds the metrics to the configuration's registry. A
// second handler of the same configuration finds them registered already.
func registerMetrics(ctx caddy.Context) error {
	registry := ctx.GetMetricsRegistry()
	if registry == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{deliveriesTotal, attemptDuration, validationsTotal, validationDuration, queueDepth, oldestPending} {
		if err := registry.Register(c); err != nil && !errors.As(err, &prometheus.AlreadyRegisteredError{}) {
			return err
		}
	}
	return nil
}

// eachDispatcher calls fn for every running dispatcher.
func eachDispatcher(fn func(pooledDispatcher)) {
	dispatchers.Range(func(_, value any) bool {
		fn(value.(pooledDispatcher))
		return true
	})
}
