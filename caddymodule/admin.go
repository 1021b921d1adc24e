package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI adds the delivery log to Caddy's admin API:
//
//	GET    /cms_webhooks/deliveries?state=&webhook=&item=&since=&before=&limit=
//	DELETE /cms_webhooks/deliveries?state=dead|delivered&webhook=&item=&since=&before=
//	GET    /cms_webhooks/deliveries/<id>
//	POST   /cms_webhooks/deliveries/<id>/replay
//	POST   /cms_webhooks/replay?since=<RFC 3339 time>&webhook=&item=
//
// since and before are RFC 3339 times. Listing returns the newest
// deliveries first, without payloads, limit 100 by default. Replay sends a
// dead or delivered delivery again under the same webhook-id; the second
// form replays every dead delivery that died at or after since. Purge
// removes dead and delivered deliveries, never pending ones.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.cms_webhooks",
		New: func() caddy.Module { return adminAPI{} },
	}
}

// Routes returns the admin routes.
func (a adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/cms_webhooks/deliveries", Handler: caddy.AdminHandlerFunc(a.deliveries)},
		{Pattern: "/cms_webhooks/deliveries/", Handler: caddy.AdminHandlerFunc(a.delivery)},
		{Pattern: "/cms_webhooks/replay", Handler: caddy.AdminHandlerFunc(a.replaySince)},
	}
}

// deliverySummary is a delivery in a listing: its record without attempts'
// details.
type deliverySummary struct {
	*dispatch.Delivery
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LastAttempt *time.Time `json:"last_attempt_at,omitempty"`
}

func (a adminAPI) deliveries(w http.ResponseWriter, r *http.Request) error {
	f, err := parseFilter(r)
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
				return apiError(http.StatusBadRequest, fmt.Errorf("invalid limit %q: must be a positive whole number", v))
			}
		}
		list := []deliverySummary{}
		var scanErr error
		eachDispatcher(func(p pooledDispatcher) {
			dels, err := p.List(f, limit-len(list))
			if err != nil {
				scanErr = err
			}
			for _, d := range dels {
				list = append(list, summarize(d))
			}
		})
		if scanErr != nil {
			return apiError(http.StatusInternalServerError, scanErr)
		}
		return writeJSON(w, http.StatusOK, list)

	case http.MethodDelete:
		if f.State == dispatch.StatePending {
			return apiError(http.StatusBadRequest, errors.New("pending deliveries cannot be purged; filter by state dead or delivered"))
		}
		total := 0
		var purgeErr error
		eachDispatcher(func(p pooledDispatcher) {
			n, err := p.Purge(f)
			total += n
			if err != nil {
				purgeErr = err
			}
		})
		if purgeErr != nil {
			return apiError(http.StatusInternalServerError, purgeErr)
		}
		return writeJSON(w, http.StatusOK, map[string]int{"purged": total})
	}
	return apiError(http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed; use GET or DELETE", r.Method))
}

func summarize(d *dispatch.Delivery) deliverySummary {
	s := deliverySummary{Delivery: d, Attempts: len(d.Attempts)}
	if n := len(d.Attempts); n > 0 {
		last := d.Attempts[n-1]
		s.LastStatus, s.LastError, s.LastAttempt = last.Status, last.Error, &last.At
	}
	return s
}

// deliveryDetail is one delivery with its attempts and payload: a JSON
// payload as JSON, any other (XML) as text, both exactly as sent.
type deliveryDetail struct {
	*dispatch.Delivery
	Attempts    []dispatch.Attempt `json:"attempts"`
	Payload     json.RawMessage    `json:"payload,omitempty"`
	PayloadText string             `json:"payload_text,omitempty"`
}

func (a adminAPI) delivery(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimPrefix(r.URL.Path, "/cms_webhooks/deliveries/")
	id, action, _ := strings.Cut(rest, "/")
	if id == "" {
		return apiError(http.StatusNotFound, errors.New("missing delivery id"))
	}
	switch {
	case action == "" && r.Method == http.MethodGet:
		var found *dispatch.Delivery
		eachDispatcher(func(p pooledDispatcher) {
			if d, err := p.Get(id); err == nil {
				found = d
			}
		})
		if found == nil {
			return apiError(http.StatusNotFound, fmt.Errorf("delivery %s not found", id))
		}
		detail := deliveryDetail{Delivery: found, Attempts: found.Attempts}
		if json.Valid(found.Body) {
			detail.Payload = found.Body
		} else {
			detail.PayloadText = string(found.Body)
		}
		if detail.Attempts == nil {
			detail.Attempts = []dispatch.Attempt{}
		}
		return writeJSON(w, http.StatusOK, detail)

	case action == "replay" && r.Method == http.MethodPost:
		var replayErr error = dispatch.ErrNotFound
		eachDispatcher(func(p pooledDispatcher) {
			if err := p.Replay(id); !errors.Is(err, dispatch.ErrNotFound) {
				replayErr = err
			}
		})
		switch {
		case replayErr == nil:
			return writeJSON(w, http.StatusAccepted, map[string]string{"replayed": id})
		case errors.Is(replayErr, dispatch.ErrNotFound):
			return apiError(http.StatusNotFound, fmt.Errorf("delivery %s not found", id))
		case errors.Is(replayErr, dispatch.ErrPending):
			return apiError(http.StatusConflict, fmt.Errorf("delivery %s is still pending; only dead or delivered deliveries can be replayed", id))
		default:
			return apiError(http.StatusInternalServerError, replayErr)
		}
	}
	return apiError(http.StatusNotFound, fmt.Errorf("no route for %s %s", r.Method, r.URL.Path))
}

func (a adminAPI) replaySince(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return apiError(http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed; use POST", r.Method))
	}
	f, err := parseFilter(r)
	if err != nil {
		return err
	}
	if f.Since.IsZero() {
		return apiError(http.StatusBadRequest, errors.New("missing since: give the RFC 3339 time from which dead deliveries are replayed"))
	}
	since := f.Since
	f.Since = time.Time{}
	total := 0
	var replayErr error
	eachDispatcher(func(p pooledDispatcher) {
		n, err := p.ReplayDead(since, f)
		total += n
		if err != nil {
			replayErr = err
		}
	})
	if replayErr != nil {
		return apiError(http.StatusInternalServerError, replayErr)
	}
	return writeJSON(w, http.StatusAccepted, map[string]int{"replayed": total})
}

func parseFilter(r *http.Request) (dispatch.Filter, error) {
	q := r.URL.Query()
	f := dispatch.Filter{Webhook: q.Get("webhook"), ItemID: q.Get("item")}
	switch s := dispatch.DeliveryState(q.Get("state")); s {
	case "", dispatch.StatePending, dispatch.StateDelivered, dispatch.StateDead:
		f.State = s
	default:
		return f, apiError(http.StatusBadRequest, fmt.Errorf("invalid state %q: must be pending, delivered or dead", s))
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "before": &f.Before} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, apiError(http.StatusBadRequest, fmt.Errorf("invalid %s %q: must be an RFC 3339 time such as 2026-12-04T10:00:00Z", name, v))
			}
			*dst = t
		}
	}
	return f, nil
}

func apiError(status int, err error) error {
	return caddy.APIError{HTTPStatus: status, Err: err}
}

// writeJSON writes v without escaping <, > and &, so that payloads read as
// they were sent.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Interface guard
var _ caddy.AdminRouter = adminAPI{}
