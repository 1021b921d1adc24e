// Package wordpress classifies WordPress REST API traffic (WordPress 6.1 and
// later, namespace wp/v2 and any other that the configuration names) into
// item events and workflow status changes.
//
// WordPress accepts one operation under many spellings, and a spelling that
// escapes classification would bypass validation. The classifier follows
// how WordPress itself reads a request:
//
//   - the route comes from rest_route in the form body or the query (on any
//     URL that index.php serves), or from the path below the REST prefix,
//     also below /index.php; it matches without regard to case, repeated or
//     trailing slashes, or leading zeros in the id;
//   - the method can be overridden by the _method query variable or the
//     X-HTTP-Method-Override header, on any request method, GET included;
//   - parameters come from a JSON body (any application/json or +json type),
//     then a form body (urlencoded or multipart), then the query, with PHP's
//     rules: the last duplicate wins, dots and spaces in names become
//     underscores;
//   - the batch endpoint (/batch/v1) carries several requests in one;
//   - _envelope wraps the response, so success is read from the envelope's
//     status rather than the HTTP status.
package wordpress

import (
	"net/http"
	"strings"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
	"github.com/tidwall/gjson"
)

// Config adapts the classifier to a WordPress site.
type Config struct {
	// RESTPrefix is the path of the REST API root, below which routes
	// follow. Default: "/wp-json". A site installed in /blog uses
	// "/blog/wp-json"; the site's home path is read from it.
	RESTPrefix string `json:"rest_prefix,omitempty"`

	// Namespaces are the REST namespaces whose routes are post types.
	// Default: ["wp/v2"].
	Namespaces []string `json:"namespaces,omitempty"`

	// PostTypes limits classification to these route bases (for example
	// "posts", "pages", "books"). Default: every base of the namespaces
	// except the core endpoints that are not post types (users, comments,
	// categories, tags, settings and the like).
	PostTypes []string `json:"post_types,omitempty"`
}

// Classifier reads WordPress REST requests and responses.
type Classifier struct {
	prefixes   []string
	home       string
	namespaces []string
	postTypes  map[string]bool
}

// New returns a classifier for the configuration.
func New(cfg Config) *Classifier {
	prefix := strings.TrimRight(cfg.RESTPrefix, "/")
	if prefix == "" {
		prefix = "/wp-json"
	}
	if !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	home := homeOf(prefix)
	c := &Classifier{
		// WordPress also serves the API below /index.php ("almost pretty"
		// permalinks), whatever the permalink setting.
		prefixes:   []string{prefix, home + "/index.php" + prefix[len(home):]},
		home:       home,
		namespaces: cfg.Namespaces,
	}
	if len(c.namespaces) == 0 {
		c.namespaces = []string{"wp/v2"}
	}
	for i, ns := range c.namespaces {
		c.namespaces[i] = strings.Trim(ns, "/")
	}
	if len(cfg.PostTypes) > 0 {
		c.postTypes = map[string]bool{}
		for _, t := range cfg.PostTypes {
			c.postTypes[strings.ToLower(t)] = true
		}
	}
	return c
}

// Candidate reports, from the method, URL and headers alone, whether a
// request can be a REST write, so that every other request passes without
// its body being read.
func (c *Classifier) Candidate(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		// WordPress applies a method override to any request method, so
		// a GET with _method=POST writes.
		if r.Header.Get("X-HTTP-Method-Override") == "" && !queryMentions(r.URL.RawQuery, "_method", "method") {
			return false
		}
	}
	for _, prefix := range c.prefixes {
		if rest, ok := cutPrefixFold(r.URL.Path, prefix); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	if !c.servedByIndex(r.URL.Path) {
		return false
	}
	if queryMentions(r.URL.RawQuery, "rest_route", "route") {
		return true
	}
	return r.Method == http.MethodPost && formKind(r.Header.Get("Content-Type")) != ""
}

// queryMentions reports whether a query string may set the PHP variable
// name. It looks for word in the raw text first, and decodes the names only
// when the text has percent escapes, because PHP decodes "_m%65thod" into
// "_method".
func queryMentions(raw, name, word string) bool {
	if strings.Contains(raw, word) {
		return true
	}
	if !strings.Contains(raw, "%") {
		return false
	}
	_, ok := parsePHPQuery(raw)[name]
	return ok
}

// request is one REST request as WordPress dispatches it: a top-level
// request or one entry of a batch.
type request struct {
	method   string
	route    string
	params   params
	envelope bool
	user     string
	nonce    string
}

// Classify returns the operations a buffered request asks for, or nil when
// it is not a REST write to a post. A body that WordPress would reject as
// malformed yields nil, so the request passes through unchanged.
func (c *Classifier) Classify(r *http.Request, body []byte) []*dispatch.Operation {
	get := parsePHPQuery(r.URL.RawQuery)
	contentType := r.Header.Get("Content-Type")
	var form map[string]phpValue
	if r.Method == http.MethodPost {
		form = parseForm(contentType, body)
	}
	route, ok := c.restRoute(r, form, get)
	if !ok {
		return nil
	}

	req := request{method: effectiveMethod(r, get), route: route}
	_, req.envelope = get["_envelope"]
	req.user, _, _ = r.BasicAuth()

	req.params.get = get
	if isJSON(contentType) && len(strings.TrimSpace(string(body))) > 0 {
		if !gjson.ValidBytes(body) {
			return nil
		}
		req.params.setJSON(gjson.ParseBytes(body))
	}
	switch req.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if r.Method == http.MethodPost {
			req.params.form = form
		}
		if req.method != http.MethodPost && len(body) > 0 && implicitForm(contentType) {
			// WP_REST_Request::parse_body_params reads the body of a
			// request whose method is not POST as a form, and the values
			// PHP already parsed from a real POST win.
			parsed := parsePHPQuery(string(body))
			for k, v := range req.params.form {
				parsed[k] = v
			}
			req.params.form = parsed
		}
	}
	if v, ok := req.params.lookup("_wpnonce"); ok && v.scalar {
		req.nonce = v.s
	}

	if isBatchRoute(route) {
		if req.method != http.MethodPost {
			return nil
		}
		return c.classifyBatch(req)
	}
	op := c.classifyOne(req, -1)
	if op == nil {
		return nil
	}
	return []*dispatch.Operation{op}
}

// classifyBatch reads the entries of a /batch/v1 request. WordPress runs
// each entry as its own request with the entry's body as form parameters
// and the query of its path (WP_REST_Server::serve_batch_request_v1). The
// entries come from the requests parameter of any source: a JSON array, or
// bracketed form or query names such as requests[0][path].
func (c *Classifier) classifyBatch(outer request) []*dispatch.Operation {
	var ops []*dispatch.Operation
	for i, e := range outer.params.batchEntries() {
		method := strings.ToUpper(e.method)
		if method == "" {
			method = http.MethodPost
		}
		routePath, query, _ := strings.Cut(e.path, "?")
		sub := request{method: method, route: routePath, user: outer.user, nonce: outer.nonce}
		sub.params = e.body
		sub.params.get = parsePHPQuery(query)
		if op := c.classifyOne(sub, i); op != nil {
			op.Detail.(*detail).outerEnvelope = outer.envelope
			ops = append(ops, op)
		}
	}
	return ops
}

// BodyHasParams reports whether WordPress reads parameters from the body of
// the request: a JSON or form body. Any other body, such as a media upload,
// is a file, and the parameters are in the URL.
func (c *Classifier) BodyHasParams(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if isJSON(ct) || formKind(ct) != "" {
		return true
	}
	return implicitForm(ct) && effectiveMethod(r, parsePHPQuery(r.URL.RawQuery)) != http.MethodPost
}

// effectiveMethod returns the method WordPress dispatches: the _method query
// variable, else the X-HTTP-Method-Override header, else the request's
// (WP_REST_Server::serve_request).
func effectiveMethod(r *http.Request, get map[string]phpValue) string {
	if v, ok := get["_method"]; ok {
		return strings.ToUpper(v.s)
	}
	if v := r.Header.Get("X-HTTP-Method-Override"); v != "" {
		return strings.ToUpper(v)
	}
	return r.Method
}
