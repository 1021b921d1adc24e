package sitecore

import (
	"compress/gzip"
	"net/http"
	"strings"
)

// gzipWriter compresses a response body with gzip. It starts the gzip
// stream on the first body byte, so that bodiless responses such as 204 stay
// empty.
type gzipWriter struct {
	http.ResponseWriter
	gz *gzip.Writer
}

// acceptsGzip reports whether the request's Accept-Encoding lists gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(coding, "gzip") {
			return true
		}
	}
	return false
}

func (g *gzipWriter) WriteHeader(code int) {
	if code != http.StatusNoContent && code != http.StatusNotModified {
		g.Header().Set("Content-Encoding", "gzip")
		g.Header().Add("Vary", "Accept-Encoding")
		g.Header().Del("Content-Length")
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if g.gz == nil {
		if g.Header().Get("Content-Encoding") == "" {
			g.WriteHeader(http.StatusOK)
		}
		g.gz = gzip.NewWriter(g.ResponseWriter)
	}
	return g.gz.Write(p)
}

// close flushes the gzip stream, if one was started.
func (g *gzipWriter) close() error {
	if g.gz == nil {
		return nil
	}
	return g.gz.Close()
}
