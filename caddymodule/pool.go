package caddymodule

import (
	"context"
	"encoding/json"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// dispatchers holds the running dispatchers, keyed by their delivery
// settings. Caddy provisions a new configuration before it cleans up the
// old one, so on a reload with unchanged settings the new handler takes the
// same dispatcher and no queued delivery is dropped. A dispatcher whose
// last user is cleaned up drains its queue before it stops.
var dispatchers = caddy.NewUsagePool()

// drainTimeout bounds how long a released dispatcher keeps delivering.
const drainTimeout = 10 * time.Second

type pooledDispatcher struct {
	*dispatch.Dispatcher
	logger *zap.Logger
}

// Destruct stops the dispatcher when no configuration uses it any more.
func (p pooledDispatcher) Destruct() error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	pending := p.Pending()
	err := p.Stop(ctx)
	p.logger.Info("delivery dispatcher stopped", zap.Int("pending_at_stop", pending))
	return err
}

func acquireDispatcher(cfg *DeliveryConfig, logger *zap.Logger) (*dispatch.Dispatcher, string, error) {
	if cfg == nil {
		cfg = &DeliveryConfig{}
	}
	keyBytes, err := json.Marshal(cfg)
	if err != nil {
		return nil, "", err
	}
	key := "cms_webhooks.dispatcher:" + string(keyBytes)
	val, _, err := dispatchers.LoadOrNew(key, func() (caddy.Destructor, error) {
		d := dispatch.New(dispatch.Config{
			Workers:   cfg.Workers,
			QueueSize: cfg.QueueSize,
			Retry: dispatch.RetryPolicy{
				MaxAttempts:    cfg.MaxAttempts,
				InitialBackoff: time.Duration(cfg.InitialBackoff),
				MaxBackoff:     time.Duration(cfg.MaxBackoff),
			},
			Logger: logger,
		})
		return pooledDispatcher{Dispatcher: d, logger: logger}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return val.(pooledDispatcher).Dispatcher, key, nil
}
