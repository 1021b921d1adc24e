package wordpress

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
	"github.com/tidwall/gjson"
)

// action is the change a REST request makes to a post.
type action int

const (
	actionCreate action = iota + 1
	actionUpdate
	actionDelete
	actionDeleteRevision
)

// detail is the classifier's state of one operation between Classify, the
// lookups and Complete.
type detail struct {
	action action
	route  route
	params params

	// keys are the parameter names the request sets.
	keys []string

	// force is set on a DELETE that deletes instead of trashing.
	force bool

	// batch is the entry's index in a batch request, or -1.
	batch         int
	envelope      bool
	outerEnvelope bool

	// before is the post as the lookup read it, before the write, or nil.
	before members
}

// fieldKeys are the post members sent as VersionedFields: the text an editor
// writes. WordPress returns them as {"raw": ..., "rendered": ...} in the edit
// context, and the raw text is the stored value.
var fieldKeys = []string{"title", "content", "excerpt"}

// structuralKeys change where a post sits, not its content: a request that
// sets only these fires item:moved or item:sortorderchanged, not item:saved.
// The others here steer the REST API itself and change nothing.
var structuralKeys = map[string]bool{
	"parent": true, "menu_order": true,
	"id": true, "context": true, "_fields": true, "_envelope": true,
	"_embed": true, "_method": true, "_locale": true, "_wpnonce": true,
	"_jsonp": true, "rest_route": true, "force": true,
}

func (c *Classifier) classifyOne(req request, batch int) *dispatch.Operation {
	rt, ok := c.matchRoute(req.route)
	if !ok {
		return nil
	}
	d := &detail{route: rt, params: req.params, batch: batch, envelope: req.envelope}
	switch {
	case rt.id == "" && req.method == http.MethodPost:
		d.action = actionCreate
	case rt.id != "" && rt.sub == "" && (req.method == http.MethodPost || req.method == http.MethodPut || req.method == http.MethodPatch):
		d.action = actionUpdate
	case rt.id != "" && rt.sub == "" && req.method == http.MethodDelete:
		d.action = actionDelete
	case rt.id != "" && strings.HasPrefix(rt.sub, "revisions/") && req.method == http.MethodDelete:
		d.action = actionDeleteRevision
	default:
		// Autosaves do not change the post, and reads change nothing.
		return nil
	}
	d.keys = req.params.keys()
	if v, ok := req.params.lookup("force"); ok {
		d.force = truthy(v.s)
	}

	op := &dispatch.Operation{UserName: req.user, Detail: d}
	op.Item = itemFromParams(rt.id, req.params)

	status, hasStatus := req.params.lookup("status")
	switch d.action {
	case actionCreate:
		if hasStatus && status.scalar {
			op.StatusChange = &dispatch.StatusChange{Created: true}
			setToState(op.StatusChange, status.s)
		}
	case actionUpdate:
		if hasStatus && status.scalar {
			op.StatusChange = &dispatch.StatusChange{}
			setToState(op.StatusChange, status.s)
		}
		if op.StatusChange != nil || d.has("parent") || d.has("menu_order") || d.has("slug") {
			op.Lookups = append(op.Lookups, dispatch.Lookup{
				Path:  c.lookupPath("/"+rt.namespace+"/"+rt.base+"/"+rt.id, req.nonce),
				Apply: applyPostLookup,
			})
		}
	}
	if op.StatusChange != nil && op.UserName == "" {
		op.Lookups = append(op.Lookups, dispatch.Lookup{
			Path:  c.lookupPath("/wp/v2/users/me", req.nonce),
			Apply: applyUserLookup,
			// Who sent the request, so never a service account.
			AsCaller: true,
		})
	}
	return op
}

func (d *detail) has(key string) bool {
	for _, k := range d.keys {
		if k == key {
			return true
		}
	}
	return false
}

// lookupPath returns a GET path for a route in the edit context. It uses the
// rest_route spelling, which works whatever the permalink setting.
func (c *Classifier) lookupPath(routePath, nonce string) string {
	q := url.Values{}
	q.Set("rest_route", routePath)
	q.Set("context", "edit")
	if nonce != "" {
		q.Set("_wpnonce", nonce)
	}
	return c.home + "/?" + q.Encode()
}

// applyPostLookup reads the post before the write: its status (the state a
// status change leaves), parent, order and slug.
func applyPostLookup(op *dispatch.Operation, status int, body []byte) {
	d := op.Detail.(*detail)
	post := membersOf(gjson.ParseBytes(body))
	if status != http.StatusOK || !post["type"].Exists() || !post["status"].Exists() {
		op.LookupFailed = true
		return
	}
	d.before = post
	mergeItem(&op.Item, itemFromPost(post))

	if op.StatusChange == nil {
		return
	}
	from := post["status"].String()
	if from == "trash" {
		// Restoring from the trash is a re-creation in the requested
		// status, so a workflow sees it as leaving its initial state.
		op.StatusChange.Created = true
		from = ""
	}
	op.StatusChange.FromState = from
	op.StatusChange.FromAlias = statusAlias(from)
}

// setToState records the status a request sets. WordPress stores an
// empty status, which is what a JSON null becomes, as "draft".
func setToState(change *dispatch.StatusChange, status string) {
	if status == "" {
		status = "draft"
	}
	change.ToState = status
	change.ToAlias = statusAlias(status)
}

// statusAlias returns the workflow state a WordPress status counts as when
// the workflow does not declare it: "future" counts as "publish", because
// WordPress publishes a scheduled post by itself, and publishes a "future"
// post whose date is less than a minute ahead at once (wp_insert_post).
func statusAlias(status string) string {
	if status == "future" {
		return "publish"
	}
	return ""
}

// applyUserLookup reads the login of the user behind a cookie-authenticated
// request, for the UserName of action payloads.
func applyUserLookup(op *dispatch.Operation, status int, body []byte) {
	if status != http.StatusOK {
		return
	}
	user := gjson.ParseBytes(body)
	name := user.Get("username").String()
	if name == "" {
		name = user.Get("slug").String()
	}
	op.UserName = name
}

// itemFromParams returns the post as the request's own parameters show it.
func itemFromParams(id string, p params) dispatch.Item {
	it := dispatch.Item{ID: id}
	for _, key := range fieldKeys {
		if v, ok := p.lookup(key); ok && v.scalar {
			it.VersionedFields = append(it.VersionedFields, dispatch.Field{ID: key, Value: v.s})
		}
	}
	if v, ok := p.lookup("slug"); ok && v.scalar {
		it.Name = v.s
	}
	if v, ok := p.lookup("parent"); ok && v.scalar {
		it.ParentID = v.s
	}
	return it
}

// itemFromPost maps a post object of the REST API onto the Sitecore item:
// Id is the post id, Name the slug, ParentId the parent (post types with a
// hierarchy only) and TemplateName the post type.
func itemFromPost(post members) dispatch.Item {
	it := dispatch.Item{
		ID:           post["id"].String(),
		Name:         strings.TrimSuffix(post["slug"].String(), "__trashed"),
		TemplateName: post["type"].String(),
	}
	if p := post["parent"]; p.Exists() {
		it.ParentID = p.String()
	}
	for _, key := range fieldKeys {
		if raw := post[key].Get("raw"); raw.Exists() {
			it.VersionedFields = append(it.VersionedFields, dispatch.Field{ID: key, Value: raw.String()})
		}
	}
	return it
}

// mergeItem fills the empty members of dst from src.
func mergeItem(dst *dispatch.Item, src dispatch.Item) {
	if dst.ID == "" {
		dst.ID = src.ID
	}
	if dst.Name == "" {
		dst.Name = src.Name
	}
	if dst.ParentID == "" {
		dst.ParentID = src.ParentID
	}
	if dst.TemplateName == "" {
		dst.TemplateName = src.TemplateName
	}
	for _, f := range src.VersionedFields {
		if _, ok := dst.Field(f.ID); !ok {
			dst.VersionedFields = append(dst.VersionedFields, f)
		}
	}
}

// truthy reads a boolean parameter as rest_sanitize_boolean() does: "false",
// "0" and the empty string are false, everything else is true.
func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "", "0", "false":
		return false
	}
	return true
}
