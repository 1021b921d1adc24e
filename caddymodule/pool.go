package caddymodule

import (
	"context"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// dispatchers holds the running dispatchers, keyed by their queue: the
// store file's path, or "memory". Caddy provisions a new configuration
// before it cleans up the old one, so on a reload the new handler takes the
// same dispatcher, applies its settings to it, and no queued delivery is
// dropped. A dispatcher whose last user is cleaned up keeps delivering for
// drainTimeout, then stops and leaves the rest in its queue.
var dispatchers = caddy.NewUsagePool()

// drainTimeout bounds how long a released dispatcher keeps delivering.
const drainTimeout = 10 * time.Second

// memoryQueue is the pool key of the in-memory queue.
const memoryQueue = "memory"

type pooledDispatcher struct {
	*dispatch.Dispatcher
	queue  string
	logger *zap.Logger
}

// Destruct stops the dispatcher when no configuration uses it any more.
func (p pooledDispatcher) Destruct() error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	err := p.Stop(ctx)
	p.logger.Info("delivery dispatcher stopped", zap.String("queue", p.queue), zap.Int("pending", p.Pending()))
	if err == context.DeadlineExceeded {
		// Pending deliveries stay in the queue; that is not a failure.
		return nil
	}
	return err
}

// queueKey returns the pool key of the configured queue.
func queueKey(cfg *DeliveryConfig) string {
	if cfg.Queue == memoryQueue {
		return memoryQueue
	}
	if cfg.QueueFile != "" {
		return cfg.QueueFile
	}
	return filepath.Join(caddy.AppDataDir(), "cms_webhooks", "queue.db")
}

func (cfg *DeliveryConfig) dispatchConfig(logger *zap.Logger) dispatch.Config {
	return dispatch.Config{
		Workers:        cfg.Workers,
		PerDestination: cfg.PerDestination,
		QueueSize:      cfg.QueueSize,
		Retry: dispatch.RetryPolicy{
			MaxAttempts:    cfg.MaxAttempts,
			InitialBackoff: time.Duration(cfg.InitialBackoff),
			MaxBackoff:     time.Duration(cfg.MaxBackoff),
			MaxAge:         time.Duration(cfg.MaxAge),
		},
		KeepDelivered:      time.Duration(cfg.KeepDelivered),
		CommitInBackground: cfg.Commit != "wait",
		Logger:             logger,
		Observer:           observer,
	}
}

// acquireDispatcher returns the dispatcher of the configured queue,
// starting it when no configuration uses it yet, and registers the
// webhooks with it.
func acquireDispatcher(cfg *DeliveryConfig, webhooks []*dispatch.Webhook, logger *zap.Logger) (*dispatch.Dispatcher, string, error) {
	if cfg == nil {
		cfg = &DeliveryConfig{}
	}
	key := queueKey(cfg)
	val, loaded, err := dispatchers.LoadOrNew(key, func() (caddy.Destructor, error) {
		dc := cfg.dispatchConfig(logger)
		dc.Webhooks = webhooks
		if key != memoryQueue {
			store, err := dispatch.OpenBoltStore(key)
			if err != nil {
				return nil, err
			}
			dc.Store = store
		}
		d, err := dispatch.New(dc)
		if err != nil {
			if dc.Store != nil {
				_ = dc.Store.Close()
			}
			return nil, err
		}
		logger.Info("delivery dispatcher started", zap.String("queue", key), zap.Int("pending", d.Pending()))
		return pooledDispatcher{Dispatcher: d, queue: key, logger: logger}, nil
	})
	if err != nil {
		return nil, "", err
	}
	d := val.(pooledDispatcher).Dispatcher
	if loaded {
		d.Reconfigure(cfg.dispatchConfig(logger))
		d.Register(webhooks)
	}
	return d, key, nil
}
