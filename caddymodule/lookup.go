package caddymodule

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// maxLookupBody bounds the response of a lookup that is kept.
const maxLookupBody = 1 << 20

// maxLookups bounds the reads of one operation, pages and per-item reads
// included: 1,000 data sources of a page, or 500,000 items of a state.
const maxLookups = 1024

// lookupDropHeaders are request headers that do not belong on a lookup: it
// has no body, must not be conditional or partial, and is read as plain
// JSON.
var lookupDropHeaders = []string{
	"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding",
	"Expect", "X-Http-Method-Override", "If-Match", "If-None-Match",
	"If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range",
}

// runLookups reads, through the next handler (normally reverse_proxy to
// the CMS) and with the client's own credentials, or those of
// enrich_authorization when it is set, what the operations need to know
// before the request is forwarded. It returns the operations with each one
// that fanned out replaced by its parts.
func (h *Handler) runLookups(ctx context.Context, r *http.Request, ops []*dispatch.Operation, next caddyhttp.Handler) []*dispatch.Operation {
	out := ops[:0:0]
	for _, op := range ops {
		// Apply may append to op.Lookups, so the length is read anew.
		for i := 0; i < len(op.Lookups) && i < maxLookups; i++ {
			if status := h.read(ctx, r, op, op.Lookups[i], next); status != http.StatusOK {
				h.logger.Debug("lookup before forwarding failed",
					zap.String("path", op.Lookups[i].Path), zap.String("item_id", op.Item.ID), zap.Int("status", status))
			}
		}
		if len(op.Fanout) > 0 {
			out = append(out, op.Fanout...)
			continue
		}
		out = append(out, op)
	}
	return out
}

// confirm runs the reads after the CMS's response that decide which
// operations succeeded, where the response alone cannot tell.
func (h *Handler) confirm(ctx context.Context, r *http.Request, ops []*dispatch.Operation, next caddyhttp.Handler) {
	for _, op := range ops {
		for _, l := range op.Confirm {
			if status := h.read(ctx, r, op, l, next); status != http.StatusOK {
				h.logger.Warn("reading the outcome of a command from the CMS failed, so it fires nothing",
					zap.String("path", l.Path), zap.String("item_id", op.Item.ID), zap.Int("status", status))
			}
		}
	}
}

// read runs one lookup for op, with the credentials of
// enrich_authorization when it is set, applies its result and returns the
// status of the read.
func (h *Handler) read(ctx context.Context, r *http.Request, op *dispatch.Operation, l dispatch.Lookup, next caddyhttp.Handler) int {
	if l.Auth == nil && !l.AsCaller && h.EnrichAuthorization != "" {
		l.Auth = h.auths[h.EnrichAuthorization]
	}
	status, body := h.lookup(ctx, r, l, next)
	l.Apply(op, status, body)
	return status
}

func (h *Handler) lookup(ctx context.Context, r *http.Request, l dispatch.Lookup, next caddyhttp.Handler) (int, []byte) {
	path := l.Path
	target, err := url.Parse(path)
	if err != nil {
		return 0, nil
	}
	lr := r.Clone(ctx)
	lr.Method = http.MethodGet
	lr.URL.Path, lr.URL.RawPath, lr.URL.RawQuery = target.Path, "", target.RawQuery
	lr.RequestURI = lr.URL.RequestURI()
	lr.Body = http.NoBody
	lr.ContentLength = 0
	lr.TransferEncoding = nil
	for _, name := range lookupDropHeaders {
		lr.Header.Del(name)
	}
	lr.Header.Set("Accept", "application/json")
	lr.Header.Set("Accept-Encoding", "identity")
	if l.Method != "" {
		lr.Method = l.Method
	}
	if l.Body != nil {
		lr.Body = io.NopCloser(bytes.NewReader(l.Body))
		lr.ContentLength = int64(len(l.Body))
		lr.Header.Set("Content-Type", "application/json")
	}
	if l.Auth != nil {
		lr.Header.Del("Authorization")
		lr.Header.Del("Cookie")
		if err := l.Auth.Apply(ctx, lr); err != nil {
			h.logger.Warn("authorizing a read of the CMS failed", zap.String("path", path), zap.Error(err))
			return 0, nil
		}
	}

	bw := &bufferWriter{header: http.Header{}, limit: maxLookupBody}
	if err := next.ServeHTTP(bw, lr); err != nil {
		h.logger.Warn("lookup before forwarding failed", zap.String("path", path), zap.Error(err))
		return 0, nil
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	return bw.status, bw.buf.Bytes()
}

// bufferWriter is a ResponseWriter that keeps the status and the first
// limit bytes of the body.
type bufferWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
	limit  int
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 && status >= 200 {
		b.status = status
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// enricher is a classifier that can read the CMS to fill the items and
// events of operations for webhooks that ask for enrichment.
type enricher interface {
	// EnrichBefore returns the reads to make before the request is
	// forwarded: what only exists before the write, such as old names,
	// old parents, old field values and a deleted item.
	EnrichBefore(op *dispatch.Operation) []dispatch.Lookup

	// EnrichAfter returns the reads to make after the CMS responded, to
	// fill the item as it is stored now.
	EnrichAfter(op *dispatch.Operation) []dispatch.Lookup
}

// wantsEnrichment reports whether a webhook that may fire for the
// operation asks for enrichment. Rules are not checked, because they may
// depend on what the enrichment reads.
func (h *Handler) wantsEnrichment(op *dispatch.Operation) bool {
	for _, wh := range h.EventHandlers {
		if !wh.Enrich || wh.Disabled {
			continue
		}
		for _, e := range op.Events {
			if slices.Contains(wh.Events, e.Name) {
				return true
			}
		}
	}
	if op.StatusChange != nil {
		for _, list := range [][]*dispatch.Webhook{h.ValidationActions, h.SubmitActions} {
			for _, wh := range list {
				if wh.Enrich && !wh.Disabled {
					return true
				}
			}
		}
	}
	return false
}

// enrich runs one phase of enrichment reads for the operations that want
// them, keeping each operation's traffic-only form in Basic first.
func (h *Handler) enrich(ctx context.Context, r *http.Request, ops []*dispatch.Operation, next caddyhttp.Handler, after bool) {
	e, ok := h.classifier.(enricher)
	if !ok {
		return
	}
	for _, op := range ops {
		if !h.wantsEnrichment(op) || (after && !op.Succeeded) {
			continue
		}
		lookups := e.EnrichBefore(op)
		if after {
			lookups = e.EnrichAfter(op)
		}
		if len(lookups) == 0 {
			continue
		}
		if op.Basic == nil {
			op.Basic = op.Clone()
		}
		for _, l := range lookups {
			if h.EnrichAuthorization != "" {
				l.Auth = h.auths[h.EnrichAuthorization]
			}
			status, body := h.lookup(ctx, r, l, next)
			l.Apply(op, status, body)
			if status != http.StatusOK {
				h.logger.Warn("enrichment read did not return the item; payloads carry what the traffic tells",
					zap.String("item_id", op.Item.ID), zap.Int("status", status))
			}
		}
	}
}
