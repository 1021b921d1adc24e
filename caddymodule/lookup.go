package caddymodule

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// maxLookupBody bounds the answer of a lookup that is kept.
const maxLookupBody = 1 << 20

// lookupDropHeaders are request headers that do not belong on a lookup: it
// has no body, must not be conditional or partial, and is read as plain
// JSON.
var lookupDropHeaders = []string{
	"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding",
	"Expect", "X-Http-Method-Override", "If-Match", "If-None-Match",
	"If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range",
}

// runLookups reads, through the next handler (normally reverse_proxy to
// the CMS) and with the client's own credentials, what the operations need
// to know before the request is forwarded.
func (h *Handler) runLookups(ctx context.Context, r *http.Request, ops []*dispatch.Operation, next caddyhttp.Handler) {
	for _, op := range ops {
		for _, l := range op.Lookups {
			status, body := h.lookup(ctx, r, l.Path, next)
			l.Apply(op, status, body)
			if status != http.StatusOK {
				h.logger.Debug("lookup before forwarding did not return the item",
					zap.String("path", l.Path), zap.Int("status", status))
			}
		}
	}
}

func (h *Handler) lookup(ctx context.Context, r *http.Request, path string, next caddyhttp.Handler) (int, []byte) {
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
