package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// userAgent identifies the sidecar to receivers.
const userAgent = "caddy-cms-webhooks"

// Config sets up a Dispatcher.
type Config struct {
	// Workers is the number of attempts made at the same time. Default: 16.
	Workers int

	// PerDestination limits the attempts made at the same time to one
	// webhook. Default: 8.
	PerDestination int

	// QueueSize bounds the pending deliveries. A delivery beyond it is
	// stored as dead with the reason "queue full", so an operator can
	// replay it, and Enqueue returns ErrQueueFull. Default: 100000.
	QueueSize int

	// Retry is the retry policy of event handlers and submit actions.
	Retry RetryPolicy

	// Store keeps the deliveries. Default: a MemoryStore, which a restart
	// empties.
	Store Store

	// KeepDelivered is how long delivered deliveries stay in the store
	// for the delivery log. Dead ones stay until replayed or purged.
	// Default: 24h.
	KeepDelivered time.Duration

	// CommitInBackground makes Enqueue return once the deliveries are
	// scheduled and handed to the store, without waiting until the store
	// has them on disk. A crash in the few milliseconds of that commit
	// loses them, but a request no longer waits for a disk flush. Only a
	// store that writes in the background (BoltStore) is affected.
	// Default: false, Enqueue waits.
	CommitInBackground bool

	// Logger receives one line per attempt and per validation verdict.
	Logger *zap.Logger

	// Observer receives every attempt and verdict, for metrics.
	Observer Observer

	// Webhooks are registered before the first attempt, so deliveries
	// loaded from the store find their webhook. See Register.
	Webhooks []*Webhook

	// Client sends the webhook requests. Default: a client tuned for many
	// requests to few hosts, which follows no redirects.
	Client *http.Client
}

// RetryPolicy decides how often and when a failed delivery is tried again.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too: 1 sends once and never
	// retries, as Sitecore does. A replay starts a new count. Default: 5.
	MaxAttempts int

	// InitialBackoff is the wait before the second attempt. Each later wait
	// doubles, with up to 20% random jitter. Default: 1s.
	InitialBackoff time.Duration

	// MaxBackoff caps one wait, a Retry-After response included. Default: 5m.
	MaxBackoff time.Duration

	// MaxAge makes a delivery dead when it is still failing this long
	// after it was created. Default: 24h.
	MaxAge time.Duration
}

// Observer receives measurements; the caddymodule package turns them into
// Prometheus metrics. Its methods must not block.
type Observer interface {
	// Attempt is called after each attempt. outcome is "delivered",
	// "retry", "dead" or "queue_full" (no attempt was made).
	Attempt(webhook, outcome string, duration time.Duration)

	// Verdict is called after each validation call. verdict is "valid",
	// "invalid" or "error".
	Verdict(webhook, verdict string, duration time.Duration)
}

// Dispatcher delivers event handler and submit action payloads from a
// queue and calls validation actions inline. It outlives any one
// configuration of the Caddy handler, so it is safe to enqueue until Stop
// is called.
type Dispatcher struct {
	// cfg holds the settings; Reconfigure replaces it.
	cfg     atomic.Pointer[Config]
	workers int

	logger *zap.Logger
	client *http.Client
	store  Store
	sched  *scheduler

	mu       sync.RWMutex
	webhooks map[string]*Webhook
	pending  map[string]*entry

	closed   atomic.Bool
	stopping chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup

	// base is the parent of every attempt's context. Stop cancels it at
	// its deadline, so an open attempt cannot hold shutdown up.
	base  context.Context
	abort context.CancelFunc
}

// New returns a started Dispatcher. It loads the pending deliveries that
// the store kept from an earlier run and schedules them.
func New(cfg Config) (*Dispatcher, error) {
	cfg = withDefaults(cfg)
	d := &Dispatcher{
		logger:   cfg.Logger,
		client:   cfg.Client,
		store:    cfg.Store,
		sched:    newScheduler(cfg.PerDestination),
		webhooks: map[string]*Webhook{},
		pending:  map[string]*entry{},
		stopping: make(chan struct{}),
	}
	d.cfg.Store(&cfg)
	d.base, d.abort = context.WithCancel(context.Background())

	loaded := 0
	err := d.store.Scan(false, func(del *Delivery) bool {
		if del.State == StatePending {
			d.schedule(del)
			loaded++
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("loading pending deliveries: %v", err)
	}
	if loaded > 0 {
		d.logger.Info("loaded pending deliveries from the queue", zap.Int("pending", loaded))
	}
	d.Register(cfg.Webhooks)

	d.startWorkers(cfg.Workers)
	d.done.Add(1)
	go d.clean()
	return d, nil
}

// startWorkers raises the number of workers to n.
func (d *Dispatcher) startWorkers(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ; d.workers < n; d.workers++ {
		d.done.Add(1)
		go d.work()
	}
}

// conf returns the current settings.
func (d *Dispatcher) conf() *Config {
	return d.cfg.Load()
}

// Reconfigure applies new settings to a running dispatcher, for a reload.
// Its Store, Client and Logger are ignored: those of New stay. The number of
// workers only grows; a smaller number takes effect at the next start.
func (d *Dispatcher) Reconfigure(cfg Config) {
	cfg = withDefaults(cfg)
	old := d.conf()
	cfg.Store, cfg.Client, cfg.Logger = old.Store, old.Client, old.Logger
	d.cfg.Store(&cfg)
	d.sched.setPerHost(cfg.PerDestination)
	d.startWorkers(cfg.Workers)
}

func withDefaults(cfg Config) Config {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.PerDestination <= 0 {
		cfg.PerDestination = 8
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 100000
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = 5
	}
	if cfg.Retry.InitialBackoff <= 0 {
		cfg.Retry.InitialBackoff = time.Second
	}
	if cfg.Retry.MaxBackoff <= 0 {
		cfg.Retry.MaxBackoff = 5 * time.Minute
	}
	if cfg.Retry.MaxAge <= 0 {
		cfg.Retry.MaxAge = 24 * time.Hour
	}
	if cfg.KeepDelivered <= 0 {
		cfg.KeepDelivered = 24 * time.Hour
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Client == nil {
		cfg.Client = newClient()
	}
	return cfg
}

func newClient() *http.Client {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: transport,
		// Redirects are not followed: a 3xx is a failed attempt, as the
		// Standard Webhooks specification advises.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Register makes webhook definitions known by name. Deliveries are sent
// with the newest definition of their webhook's name, so a reload that
// fixes a URL or rotates a secret applies to deliveries already queued.
func (d *Dispatcher) Register(webhooks []*Webhook) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, wh := range webhooks {
		d.webhooks[wh.Name] = wh
	}
}

// learn registers a webhook definition that a delivery brought along when
// none of its name is registered, so that a replay after the delivery's
// first life still finds it.
func (d *Dispatcher) learn(wh *Webhook) {
	if wh == nil {
		return
	}
	d.mu.RLock()
	_, known := d.webhooks[wh.Name]
	d.mu.RUnlock()
	if !known {
		d.Register([]*Webhook{wh})
	}
}

// Enqueue stores deliveries and schedules them. It returns once they are
// stored: with a durable store, a crash after Enqueue loses none of them.
// Deliveries beyond QueueSize are stored as dead, and ErrQueueFull is
// returned.
func (d *Dispatcher) Enqueue(dels ...*Delivery) error {
	if d.closed.Load() {
		return ErrQueueClosed
	}
	room := d.conf().QueueSize - d.sched.len()
	full := 0
	now := time.Now()
	for i, del := range dels {
		d.learn(del.Webhook)
		if i >= room {
			del.State = StateDead
			del.Reason = "queue full"
			del.NextAttemptAt = time.Time{}
			del.DeadAt = now
			full++
		}
	}
	// A store that writes in the background takes the deliveries first,
	// so the schedule can start the first attempts while the commit is on
	// its way; the call still returns only once they are durable.
	var wait func() error
	if s, ok := d.store.(interface {
		putAsync([]*Delivery) func() error
	}); ok {
		wait = s.putAsync(dels)
	} else if err := d.store.Put(dels); err != nil {
		return fmt.Errorf("storing deliveries: %w", err)
	}
	var scheduled []*entry
	for _, del := range dels {
		if del.State == StatePending {
			scheduled = append(scheduled, d.schedule(del))
		} else if obs := d.conf().Observer; obs != nil {
			obs.Attempt(del.WebhookName, "queue_full", 0)
		}
	}
	if wait != nil && d.conf().CommitInBackground {
		go func() {
			if err := d.committed(wait, scheduled); err != nil {
				d.logger.Error("storing deliveries failed; they are sent from memory, but a restart loses them",
					zap.Int("deliveries", len(scheduled)), zap.Error(err))
			}
		}()
	} else if err := d.committed(wait, scheduled); err != nil {
		return err
	}
	if full > 0 {
		return fmt.Errorf("%w: %d of %d deliveries stored as dead for replay", ErrQueueFull, full, len(dels))
	}
	return nil
}

// committed waits for a commit, then drops the scheduled entries' copies
// of their bodies, which the store has from then on. After a failed commit
// the entries keep their bodies, so the deliveries are still sent.
func (d *Dispatcher) committed(wait func() error, scheduled []*entry) error {
	if wait != nil {
		if err := wait(); err != nil {
			return fmt.Errorf("storing deliveries: %w", err)
		}
	}
	for _, e := range scheduled {
		e.body.Store(nil)
	}
	return nil
}

// ErrQueueFull is returned by Enqueue when deliveries exceed QueueSize.
var ErrQueueFull = errors.New("delivery queue is full")

// schedule adds a pending delivery to the schedule. Its body stays with the
// entry until the store has it, then in the store only, so that a long
// queue does not hold every payload in memory.
func (d *Dispatcher) schedule(del *Delivery) *entry {
	e := &entry{id: del.ID, key: del.orderKey(), host: del.WebhookName, due: del.NextAttemptAt, created: del.CreatedAt, del: del}
	if del.Body != nil {
		body := del.Body
		e.body.Store(&body)
		del.Body = nil
	}
	d.mu.Lock()
	d.pending[del.ID] = e
	d.mu.Unlock()
	d.sched.add(e)
	return e
}

// Pending returns the number of pending deliveries, those in flight
// included.
func (d *Dispatcher) Pending() int {
	return d.sched.len()
}

// OldestPending returns when the oldest pending delivery was created, or
// the zero time.
func (d *Dispatcher) OldestPending() time.Time {
	return d.sched.oldest()
}

// Stop refuses new deliveries and keeps sending the pending ones until none
// is left or ctx ends. What is still pending then stays in the store: a
// durable store sends it after the next start, a MemoryStore loses it.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.closed.Store(true)
	err := d.waitEmpty(ctx)
	d.stopOnce.Do(func() {
		close(d.stopping)
		d.abort()
		d.sched.close()
		d.done.Wait()
		d.reportLeft()
		if cerr := d.store.Close(); cerr != nil {
			d.logger.Error("closing the delivery store failed", zap.Error(cerr))
		}
	})
	return err
}

func (d *Dispatcher) waitEmpty(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for d.sched.len() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// reportLeft logs what Stop leaves pending.
func (d *Dispatcher) reportLeft() {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if len(d.pending) == 0 {
		return
	}
	if _, memory := d.store.(*MemoryStore); memory {
		for _, e := range d.pending {
			d.logger.Error("delivery lost at shutdown: the memory queue does not survive a restart",
				zap.String("webhook", e.del.WebhookName),
				zap.String("event", e.del.Event),
				zap.String("item_id", e.del.ItemID),
				zap.String("delivery_id", e.del.ID),
				zap.Int("attempt", len(e.del.Attempts)))
		}
		return
	}
	d.logger.Info("deliveries left pending in the queue; they are sent after the next start",
		zap.Int("pending", len(d.pending)))
}

// webhookFor returns the definition to send a delivery with: the newest
// registered one of its name, else the one it was enqueued with.
func (d *Dispatcher) webhookFor(del *Delivery) *Webhook {
	d.mu.RLock()
	wh := d.webhooks[del.WebhookName]
	d.mu.RUnlock()
	if wh == nil {
		wh = del.Webhook
	}
	return wh
}

// clean removes delivered deliveries older than KeepDelivered, once a
// minute.
func (d *Dispatcher) clean() {
	defer d.done.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-d.stopping:
			return
		case <-tick.C:
		}
		cutoff := time.Now().Add(-d.conf().KeepDelivered)
		n, err := d.Purge(Filter{State: StateDelivered, Before: cutoff})
		if err != nil {
			d.logger.Warn("removing old delivered deliveries failed", zap.Error(err))
		} else if n > 0 {
			d.logger.Debug("removed old delivered deliveries", zap.Int("count", n))
		}
	}
}
