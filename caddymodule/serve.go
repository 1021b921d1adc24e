package caddymodule

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !h.classifier.Candidate(r) {
		return next.ServeHTTP(w, r)
	}

	body, complete, err := h.bufferBody(r)
	if err != nil {
		return caddyhttp.Error(http.StatusBadRequest, err)
	}
	var ops []*dispatch.Operation
	switch {
	case complete:
		ops = h.classifier.Classify(r, body)
	case !h.classifier.BodyHasParams(r):
		// An upload whose body is a file carries its parameters in the
		// URL alone, so it is classified without reading the file.
		ops = h.classifier.Classify(withoutBody(r), nil)
	default:
		return h.serveUninspected(w, r, next)
	}
	if len(ops) == 0 {
		return next.ServeHTTP(w, r)
	}

	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(h.Budget))
	defer cancel()
	ops = h.runLookups(ctx, r, ops, next)
	h.enrich(ctx, r, ops, next, false)
	if blocked := h.checkCommands(ctx, ops); blocked != nil {
		h.writeBlock(w, ops, blocked)
		return nil
	}
	cancel()

	// Once forwarded, the write reaches the CMS whether or not the client
	// stays, so the client leaving must not cancel reading the CMS's
	// response, or its events would be lost. reverse_proxy's own timeouts
	// still bound the exchange.
	limitEncodings(r)
	rec := newTeeRecorder(w, h.MaxResponse)
	forwarded := false
	defer func() {
		if !forwarded {
			// reverse_proxy aborts with a panic when the CMS's response
			// breaks off. The classifier still learns that nothing
			// succeeded, since its open dialogs wait for the outcome.
			h.classifier.Complete(ops, http.StatusBadGateway, rec.Header(), nil)
		}
	}()
	err = next.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	forwarded = true
	if err != nil && (rec.status < 200 || rec.status > 299) {
		// The CMS sent no response, so nothing succeeded. The
		// classifier still receives that outcome.
		status := http.StatusBadGateway
		var he caddyhttp.HandlerError
		if errors.As(err, &he) && he.StatusCode != 0 {
			status = he.StatusCode
		}
		h.classifier.Complete(ops, status, rec.Header(), nil)
		return err
	}
	h.classifier.Complete(ops, rec.Status(), rec.Header(), rec.captured())
	h.logUnchecked(ops)

	// The response is complete, so send it before the reads of the
	// enrichment and before the deliveries are queued; a failed flush
	// only means the client left.
	_ = http.NewResponseController(w).Flush()
	afterCtx, cancelAfter := context.WithTimeout(context.WithoutCancel(r.Context()), time.Duration(h.Budget))
	h.confirm(afterCtx, r, ops, next)
	h.enrich(afterCtx, r, ops, next, true)
	cancelAfter()
	h.enqueue(ops)
	if rec.clientErr != nil {
		h.logger.Debug("client left before the response was sent; events were queued",
			zap.String("uri", r.RequestURI), zap.Error(rec.clientErr))
	}
	return err
}

// bufferBody reads the request body up to MaxBody and puts back a body that
// yields the same bytes, keeping the original Close. complete is false when
// the body is larger than MaxBody; the returned bytes are then only a
// prefix, and the restored body continues with the unread rest.
func (h *Handler) bufferBody(r *http.Request) (body []byte, complete bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	if r.ContentLength > h.MaxBody {
		return nil, false, nil
	}
	if r.ContentLength > 0 {
		// The size is known, so read into a buffer of that size rather
		// than growing one.
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, false, errors.New("reading request body: " + err.Error())
		}
		r.Body = restoredBody{Reader: bytes.NewReader(buf), Closer: r.Body}
		return buf, true, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, h.MaxBody+1))
	if err != nil {
		return nil, false, errors.New("reading request body: " + err.Error())
	}
	if int64(len(buf)) > h.MaxBody {
		r.Body = restoredBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), Closer: r.Body}
		return nil, false, nil
	}
	r.Body = restoredBody{Reader: bytes.NewReader(buf), Closer: r.Body}
	return buf, true, nil
}

// restoredBody is a request body that was read for inspection, put back.
type restoredBody struct {
	io.Reader
	io.Closer
}

// serveUninspected passes a request whose body is too large to read, unless
// validation actions are configured and the URL alone shows that it is a
// REST request: then an unread status change could bypass them.
func (h *Handler) serveUninspected(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if len(h.ValidationActions) > 0 && h.mayCarryCommand(r) {
		h.logger.Warn("request body too large to inspect; rejected because validation actions are configured",
			zap.String("method", r.Method),
			zap.String("uri", r.RequestURI),
			zap.Int64("max_body", h.MaxBody))
		status, contentType, body := h.classifier.Reject(nil, http.StatusRequestEntityTooLarge,
			"request body exceeds max_body of "+strconv.FormatInt(h.MaxBody, 10)+" bytes, so it cannot be checked by the validation actions", nil)
		writeRaw(w, status, contentType, body)
		return nil
	}
	h.logger.Info("request body too large to inspect; passed through",
		zap.String("method", r.Method),
		zap.String("uri", r.RequestURI),
		zap.Int64("max_body", h.MaxBody))
	return next.ServeHTTP(w, r)
}

// mayCarryCommand reports whether a request whose body was not read could
// run a workflow command: the classifier's own judgement, or else whether its URL
// alone already classifies as a write.
func (h *Handler) mayCarryCommand(r *http.Request) bool {
	if c, ok := h.classifier.(interface{ MayCarryCommand(*http.Request) bool }); ok {
		return c.MayCarryCommand(r)
	}
	return len(h.classifier.Classify(withoutBody(r), nil)) > 0
}

// withoutBody returns a shallow copy of r without a body, for asking the
// classifier what the URL alone addresses.
func withoutBody(r *http.Request) *http.Request {
	c := r.WithContext(r.Context())
	c.Body = http.NoBody
	return c
}

// writeBlock rejects a blocked command with 409 in the CMS's error shape.
func (h *Handler) writeBlock(w http.ResponseWriter, ops []*dispatch.Operation, b *block) {
	data := map[string]any{}
	if b.webhook != "" {
		data["webhook"] = b.webhook
	}
	status, contentType, body := h.classifier.Reject(ops, http.StatusConflict, b.message, data)
	writeRaw(w, status, contentType, body)
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
