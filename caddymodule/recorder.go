package caddymodule

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"slices"
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
// its response with gzip or deflate.
func (t *teeRecorder) captured() []byte {
	var zr io.Reader
	switch encoding := strings.ToLower(strings.TrimSpace(t.Header().Get("Content-Encoding"))); encoding {
	case "", "identity":
		return t.buf.Bytes()
	case "gzip", "x-gzip":
		r, err := gzip.NewReader(bytes.NewReader(t.buf.Bytes()))
		if err != nil {
			return nil
		}
		zr = r
	case "deflate":
		// HTTP's deflate is a zlib stream, though some servers send raw
		// deflate data.
		if r, err := zlib.NewReader(bytes.NewReader(t.buf.Bytes())); err == nil {
			zr = r
		} else {
			zr = flate.NewReader(bytes.NewReader(t.buf.Bytes()))
		}
	default:
		return nil
	}
	// A prefix ends inside the stream, so the error at its end is
	// expected; what was decompressed until then is kept.
	out, _ := io.ReadAll(io.LimitReader(zr, t.limit))
	return out
}

// readableEncodings are the content codings whose responses the handler can
// read, in the spelling of Accept-Encoding.
var readableEncodings = []string{"gzip", "x-gzip", "deflate", "identity"}

// limitEncodings removes from a classified request's Accept-Encoding the
// codings that the handler cannot decompress, such as br and zstd, so that
// the CMS responds in one it can read. The client, which offered them all,
// reads any of them.
func limitEncodings(r *http.Request) {
	offered := r.Header.Values("Accept-Encoding")
	if len(offered) == 0 {
		return
	}
	var kept []string
	for _, line := range offered {
		for _, token := range strings.Split(line, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(token), ";")
			if slices.Contains(readableEncodings, strings.ToLower(strings.TrimSpace(name))) {
				kept = append(kept, strings.TrimSpace(token))
			}
		}
	}
	if len(kept) == 0 {
		r.Header.Del("Accept-Encoding")
		return
	}
	r.Header.Set("Accept-Encoding", strings.Join(kept, ", "))
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
