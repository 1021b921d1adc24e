package wordpress

import (
	"net/http"
	"path"
	"strings"
)

// route is a REST route that names a post type collection or one post.
type route struct {
	// namespace and base are spelled as the configuration spells them.
	namespace string
	base      string

	// id is the post id without leading zeros, or "" for the collection.
	id string

	// sub is what follows the id: "autosaves", "revisions/14", or "".
	sub string
}

// coreNonPostBases are the wp/v2 route bases of WordPress 6.1 that are not
// post types. Anything else under a namespace is read as a post type; the
// response's "type" member then confirms it before an event fires.
var coreNonPostBases = map[string]bool{
	"users": true, "comments": true, "search": true, "block-renderer": true,
	"block-types": true, "settings": true, "themes": true, "plugins": true,
	"sidebars": true, "widgets": true, "widget-types": true,
	"block-directory": true, "pattern-directory": true, "block-patterns": true,
	"menu-locations": true, "taxonomies": true, "types": true,
	"statuses": true, "categories": true, "tags": true, "menus": true,
	"global-styles": true, "templates": true, "template-parts": true,
}

// restRoute returns the REST route a request addresses, and false when the
// request does not reach the REST API. WordPress reads the route from the
// rest_route variable of the form body, then of the query, then from the
// path below the REST prefix (WP::parse_request).
func (c *Classifier) restRoute(r *http.Request, form, get map[string]phpValue) (string, bool) {
	servedByIndex := c.servedByIndex(r.URL.Path)
	if servedByIndex {
		if v, ok := form["rest_route"]; ok && !v.array {
			return v.s, true
		}
		if v, ok := get["rest_route"]; ok && !v.array {
			return v.s, true
		}
	}
	p := r.URL.Path
	for _, prefix := range c.prefixes {
		if rest, ok := cutPrefixFold(p, prefix); ok && (rest == "" || rest[0] == '/') {
			return rest, true
		}
	}
	return "", false
}

// servedByIndex reports whether WordPress's front controller, index.php,
// handles the path. Other PHP files (wp-login.php, the wp-admin screens,
// xmlrpc.php) never read rest_route.
func (c *Classifier) servedByIndex(p string) bool {
	if !strings.HasSuffix(strings.ToLower(p), ".php") {
		return true
	}
	return strings.EqualFold(p, c.home+"/index.php")
}

// matchRoute splits a REST route into namespace, base, id and the rest.
// Matching ignores case and repeated or trailing slashes, as WordPress does
// (its route patterns are matched with the i flag, and rest_api_loaded trims
// trailing slashes).
func (c *Classifier) matchRoute(raw string) (route, bool) {
	segments := splitPath(raw)
	for _, ns := range c.namespaces {
		nsSegments := strings.Split(ns, "/")
		if len(segments) < len(nsSegments)+1 {
			continue
		}
		if !equalFoldSegments(segments[:len(nsSegments)], nsSegments) {
			continue
		}
		rest := segments[len(nsSegments):]
		rt := route{namespace: ns, base: strings.ToLower(rest[0])}
		if !c.isPostBase(rt.base) {
			return route{}, false
		}
		if len(rest) > 1 {
			id, ok := parseID(rest[1])
			if !ok {
				return route{}, false
			}
			rt.id = id
			rt.sub = strings.ToLower(strings.Join(rest[2:], "/"))
		}
		return rt, true
	}
	return route{}, false
}

// isBatchRoute reports whether the route is the batch endpoint.
func isBatchRoute(raw string) bool {
	s := splitPath(raw)
	return len(s) == 2 && strings.EqualFold(s[0], "batch") && strings.EqualFold(s[1], "v1")
}

func (c *Classifier) isPostBase(base string) bool {
	if len(c.postTypes) > 0 {
		return c.postTypes[base]
	}
	return !coreNonPostBases[base]
}

// splitPath splits a route on slashes and drops empty segments, so that
// "//wp/v2/posts/5/" and "/wp/v2/posts/5" match alike. WordPress also trims
// trailing backslashes.
func splitPath(raw string) []string {
	raw = strings.TrimRight(raw, `/\`)
	var out []string
	for _, s := range strings.Split(raw, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func equalFoldSegments(a, b []string) bool {
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// parseID reads a post id as the route pattern [\d]+ does, so "0061" is 61.
func parseID(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		s = "0"
	}
	return s, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// homeOf returns the site's home path for a REST prefix: "/wp-json" gives
// "", "/blog/wp-json" gives "/blog".
func homeOf(prefix string) string {
	h := path.Dir(prefix)
	if h == "/" || h == "." {
		return ""
	}
	return h
}
