package caddymodule

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// teeRecorder streams the response to the client unchanged and keeps a
// bounded prefix of the body, from which the classifier reads the result.
type teeRecorder struct {
	*caddyhttp.ResponseWriterWrapper
	status int
	limit  int64
	buf    bytes.Buffer

	// clientErr is the first failed write to the client. After it, the
	// recorder only keeps the prefix, so that the CMS's response is still
	// read to the end: the write it reports has happened, and its events
	// must fire even though the client left.
	clientErr error
}

func newTeeRecorder(w http.ResponseWriter, limit int64) *teeRecorder {
	return &teeRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, limit: limit}
}

func (t *teeRecorder) WriteHeader(status int) {
	if t.status == 0 && status >= 200 {
		t.status = status
	}
	t.ResponseWriterWrapper.WriteHeader(status)
}

func (t *teeRecorder) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	if room := t.limit - int64(t.buf.Len()); room > 0 {
		t.buf.Write(p[:min(room, int64(len(p)))])
	}
	if t.clientErr != nil {
		return len(p), nil
	}
	if _, err := t.ResponseWriterWrapper.Write(p); err != nil {
		t.clientErr = err
	}
	return len(p), nil
}

// Status returns the status the next handler sent.
func (t *teeRecorder) Status() int {
	if t.status == 0 {
		return http.StatusOK
	}
	return t.status
}

// captured returns the kept prefix, decompressed when the CMS compressed
// its response with gzip.
func (t *teeRecorder) captured() []byte {
	if !strings.EqualFold(t.Header().Get("Content-Encoding"), "gzip") {
		return t.buf.Bytes()
	}
	zr, err := gzip.NewReader(bytes.NewReader(t.buf.Bytes()))
	if err != nil {
		return nil
	}
	// A prefix ends inside the stream, so the error at its end is
	// expected; what was decompressed until then is kept.
	out, _ := io.ReadAll(io.LimitReader(zr, t.limit))
	return out
}

// Unwrap lets http.ResponseController reach the client's writer.
func (t *teeRecorder) Unwrap() http.ResponseWriter {
	return t.ResponseWriterWrapper.ResponseWriter
}

// ReadFrom copies through Write, so that the prefix is kept even when the
// next handler copies with io.Copy, which would otherwise reach the
// wrapped writer's ReadFrom directly.
func (t *teeRecorder) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(writerOnly{t}, r)
}

// writerOnly hides every method but Write, so io.Copy cannot recurse into
// ReadFrom.
type writerOnly struct{ io.Writer }
