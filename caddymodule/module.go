// Package caddymodule is the Caddy glue of caddy-cms-webhooks: the HTTP
// handler http.handlers.cms_webhooks, its Caddyfile directive cms_webhooks,
// and the reload-safe ownership of the delivery dispatcher.
package caddymodule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Default limits.
const (
	defaultBudget      = 10 * time.Second
	defaultMaxBody     = 1 << 20
	defaultMaxResponse = 1 << 20
)

// Handler sits in front of a CMS's authoring endpoint, normally just before
// reverse_proxy. It reads the CMS's REST traffic and:
//
//   - calls the validation actions of a workflow command inline, before the
//     request reaches the CMS, and responds with 409 Conflict in the CMS's own
//     error shape, without forwarding, when one of them rejects it;
//   - forwards every request to the next handler with its body unchanged;
//   - after the CMS responded with success, queues the event handler and
//     submit action deliveries, which are sent asynchronously, so the
//     editor never waits for them.
//
// Requests that cannot be authoring traffic (by method and path) pass
// without their body being read. A body that is not valid JSON or form data
// is passed through, never rejected.
//
// All validation actions of one request share one time budget (Budget). A
// validator that answers IsValid false, an error status or a malformed
// body, or that does not respond within the budget, blocks the command
// unless it is set to on_error allow or mode shadow.
type Handler struct {
	// CMS names the classifier of the CMS behind the handler: "wordpress"
	// or "sitecore". Default: "wordpress".
	CMS string `json:"cms,omitempty"`

	// WordPress adapts the WordPress classifier to the site: REST prefix,
	// namespaces and post types.
	WordPress *wordpress.Config `json:"wordpress,omitempty"`

	// Sitecore adapts the Sitecore classifier to the instance: the API
	// paths and the token claim that holds the user name.
	Sitecore *sitecore.Config `json:"sitecore,omitempty"`

	// Budget bounds the time of all validation actions of one request, and
	// of the reads of the CMS that come before them. Default: 10s, as
	// Sitecore's default for all webhooks of one request.
	Budget caddy.Duration `json:"budget,omitempty"`

	// MaxBody is the largest request body, in bytes, that is read for
	// classification. A larger body passes through uninspected, unless it
	// addresses a REST route while validation actions are configured: then
	// it is rejected with 413, because an uninspected status change would
	// bypass validation. Default: 1 MiB.
	MaxBody int64 `json:"max_body,omitempty"`

	// MaxResponse is how much of the CMS's response, in bytes, is kept to
	// read the created or changed item from it. The response itself is
	// streamed to the client unchanged. Default: 1 MiB.
	MaxResponse int64 `json:"max_response,omitempty"`

	// EnrichAuthorization names an authorization, such as a service
	// account's bearer token, that the sidecar's reads of the CMS use
	// instead of the caller's credentials: enrichment, workflow states,
	// the items of the Workbox's "send all", page layouts and children.
	// It serves callers whose credentials cannot read the Authoring API,
	// such as the cookies of the ItemService and the classic editors. The
	// read of who the caller is keeps the caller's credentials. Digest is
	// not supported here. Default: the caller's credentials.
	EnrichAuthorization string `json:"enrich_authorization,omitempty"`

	// Authorizations are named credentials that webhooks link to. Their
	// values may be {env.*} or {file.*} placeholders, which are replaced
	// when the configuration is loaded, so secrets need not appear in the
	// configuration.
	Authorizations map[string]*dispatch.Authorization `json:"authorizations,omitempty"`

	// Workflows are the workflow definitions: states and commands.
	Workflows []*dispatch.Workflow `json:"workflows,omitempty"`

	// EventHandlers fire on item events after the CMS responded with
	// success.
	EventHandlers []*dispatch.Webhook `json:"event_handlers,omitempty"`

	// ValidationActions are called inline before a workflow command is
	// forwarded, and can block it.
	ValidationActions []*dispatch.Webhook `json:"validation_actions,omitempty"`

	// SubmitActions fire after a workflow command succeeded, or when an
	// item entered a state.
	SubmitActions []*dispatch.Webhook `json:"submit_actions,omitempty"`

	// Delivery tunes the queue and the retries of event handlers and submit
	// actions.
	Delivery *DeliveryConfig `json:"delivery,omitempty"`

	classifier classifier
	positions  positions
	auths      map[string]*dispatch.Authorization
	dispatcher *dispatch.Dispatcher
	poolKey    string
	logger     *zap.Logger
}

// DeliveryConfig tunes the queue and the asynchronous delivery of event
// handlers and submit actions.
type DeliveryConfig struct {
	// Queue is "file" (the default) or "memory". The file queue survives
	// restarts, crashes and reloads: a delivery queued after the CMS
	// responded is sent even after kill -9. The memory queue loses what is
	// pending when Caddy stops.
	Queue string `json:"queue,omitempty"`

	// QueueFile is the path of the file queue. Default:
	// cms_webhooks/queue.db in Caddy's data directory. Only one Caddy
	// process may use a file at a time.
	QueueFile string `json:"queue_file,omitempty"`

	// Commit is "background" (the default) or "wait". A request's
	// deliveries are written to the queue file in one shared disk flush
	// that starts once the CMS responded and the response was sent, so a crash
	// within those milliseconds loses them either way. With background the
	// handler returns at once; with wait it returns after the flush, so the
	// connection takes its next request only then, which under many
	// concurrent writes halves the rate and gains only that a handler that
	// returned has its deliveries on disk.
	Commit string `json:"commit,omitempty"`

	// Workers is the number of attempts made at the same time. Default: 16.
	Workers int `json:"workers,omitempty"`

	// PerDestination limits the attempts made at the same time to one
	// webhook. Default: 8.
	PerDestination int `json:"per_destination,omitempty"`

	// QueueSize bounds the pending deliveries. A delivery beyond it is
	// stored as dead with the reason "queue full", counted in the metric
	// caddy_cms_webhooks_deliveries_total{outcome="queue_full"} and logged,
	// so an operator can replay it. Default: 100000.
	QueueSize int `json:"queue_size,omitempty"`

	// MaxAttempts counts every attempt of one delivery, the first included.
	// 1 sends once, as Sitecore does ("retry off" in the Caddyfile).
	// Default: 5.
	MaxAttempts int `json:"max_attempts,omitempty"`

	// InitialBackoff is the wait before the first retry; each later wait
	// doubles, with up to 20% jitter. Default: 1s.
	InitialBackoff caddy.Duration `json:"initial_backoff,omitempty"`

	// MaxBackoff caps one wait between attempts, a Retry-After response
	// included. Default: 5m.
	MaxBackoff caddy.Duration `json:"max_backoff,omitempty"`

	// MaxAge makes a delivery dead when it still fails this long after it
	// was queued. Default: 24h.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// KeepDelivered is how long delivered deliveries stay in the delivery
	// log. Dead ones stay until replayed or purged. Default: 24h.
	KeepDelivered caddy.Duration `json:"keep_delivered,omitempty"`
}

// classifier is the interface the handler needs from a CMS's classifier package.
type classifier interface {
	Candidate(r *http.Request) bool
	BodyHasParams(r *http.Request) bool
	Classify(r *http.Request, body []byte) []*dispatch.Operation
	Complete(ops []*dispatch.Operation, status int, header http.Header, body []byte)
	Reject(ops []*dispatch.Operation, status int, message string, data map[string]any) (int, string, []byte)
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.cms_webhooks",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision sets up the classifier, resolves secrets and webhooks, and
// acquires the shared dispatcher.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.Budget == 0 {
		h.Budget = caddy.Duration(defaultBudget)
	}
	if h.MaxBody == 0 {
		h.MaxBody = defaultMaxBody
	}
	if h.MaxResponse == 0 {
		h.MaxResponse = defaultMaxResponse
	}

	switch h.CMS {
	case "", "wordpress":
		h.CMS = "wordpress"
		cfg := wordpress.Config{}
		if h.WordPress != nil {
			cfg = *h.WordPress
		}
		h.classifier = wordpress.New(cfg)
	case "sitecore":
		// openDialogs outlives the handler, so that a reload keeps
		// following the editors' open dialogs.
		cfg := sitecore.Config{}
		if h.Sitecore != nil {
			cfg = *h.Sitecore
		}
		h.classifier = sitecore.New(cfg, sitecore.WithDialogs(openDialogs))
	default:
		return fmt.Errorf("cms %q: unknown CMS (known: wordpress, sitecore)", h.CMS)
	}

	if err := h.prepareWebhooks(); err != nil {
		return err
	}
	if err := registerMetrics(ctx); err != nil {
		return fmt.Errorf("registering metrics: %v", err)
	}

	d, key, err := acquireDispatcher(h.Delivery, h.webhooks(), h.logger)
	if err != nil {
		return err
	}
	h.dispatcher, h.poolKey = d, key
	return nil
}

// webhooks returns every configured webhook.
func (h *Handler) webhooks() []*dispatch.Webhook {
	var all []*dispatch.Webhook
	all = append(all, h.EventHandlers...)
	all = append(all, h.ValidationActions...)
	return append(all, h.SubmitActions...)
}

// Validate checks the configuration beyond what Provision needs.
func (h *Handler) Validate() error {
	if h.Budget < 0 {
		return fmt.Errorf("budget must not be negative")
	}
	if h.MaxBody < 0 || h.MaxResponse < 0 {
		return fmt.Errorf("max_body and max_response must not be negative")
	}
	return nil
}

// Cleanup releases the dispatcher. It keeps running while another
// configuration (the one a reload provisioned) still uses it.
func (h *Handler) Cleanup() error {
	if h.poolKey == "" {
		return nil
	}
	_, err := dispatchers.Delete(h.poolKey)
	return err
}

// openDialogs tracks the Sitecore classic editors' open dialogs for every
// handler of the process, across reloads.
var openDialogs = sitecore.NewDialogs()

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
