package wordpress

import (
	"net/http"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
	"github.com/tidwall/gjson"
)

// NeedsResponse reports whether Complete reads the response body. Every
// classified WordPress write does, because the new post's id, slug and
// status are only in the response.
func (c *Classifier) NeedsResponse([]*dispatch.Operation) bool {
	return true
}

// Complete reads the CMS response to a classified request: it marks each
// operation that succeeded and fills the item and the events from the post
// that WordPress returned. body may be a prefix of a longer response; the
// header is not needed.
func (c *Classifier) Complete(ops []*dispatch.Operation, status int, _ http.Header, body []byte) {
	answer := gjson.ParseBytes(body)
	for _, op := range ops {
		d := op.Detail.(*detail)
		st, post := status, answer
		if d.outerEnvelope {
			st, post = unwrapEnvelope(post)
		}
		if d.batch >= 0 {
			entry := post.Get("responses").Array()
			if st < 200 || st > 299 || d.batch >= len(entry) {
				continue
			}
			st = int(entry[d.batch].Get("status").Int())
			post = entry[d.batch].Get("body")
		}
		if d.envelope {
			st, post = unwrapEnvelope(post)
		}
		if st < 200 || st > 299 {
			continue
		}
		c.completeOne(op, d, post)
	}
}

// unwrapEnvelope reads a response to a request with _envelope, which
// WordPress sends as HTTP 200 with the real status inside.
func unwrapEnvelope(v gjson.Result) (int, gjson.Result) {
	st := v.Get("status")
	if !st.Exists() {
		return 0, gjson.Result{}
	}
	return int(st.Int()), v.Get("body")
}

func (c *Classifier) completeOne(op *dispatch.Operation, d *detail, answer gjson.Result) {
	post := membersOf(answer)
	switch d.action {
	case actionCreate:
		if !isPost(post) {
			return
		}
		op.Item = itemFromPost(post)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemAdded})
		c.settleStatus(op, post)

	case actionUpdate:
		if !isPost(post) {
			return
		}
		op.Item = itemFromPost(post)
		c.updateEvents(op, d, post)
		c.settleStatus(op, post)

	case actionDelete:
		if previous := membersOf(post["previous"]); post["deleted"].Bool() && isPost(previous) {
			op.Item = itemFromPost(previous)
		} else if isPost(post) && post["status"].String() == "trash" {
			op.Item = itemFromPost(post)
		} else {
			return
		}
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleted})

	case actionDeleteRevision:
		if !post["deleted"].Bool() {
			return
		}
		op.Item = dispatch.Item{ID: d.route.id}
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemVersionRemoved})
	}
	op.Succeeded = true
}

// isPost reports whether a REST response is a post object. Terms, users and
// comments lack "type" or carry other members, so a route base that is not
// a post type fires nothing.
func isPost(v members) bool {
	return v["id"].Type == gjson.Number && v["type"].Type == gjson.String &&
		v["status"].Exists() && !v["taxonomy"].Exists()
}

// updateEvents decides the events of a successful update by comparing the
// post before (when a lookup read it) and after the write.
func (c *Classifier) updateEvents(op *dispatch.Operation, d *detail, post members) {
	before := d.before
	if before["status"].String() == "trash" && post["status"].String() != "trash" {
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemAdded})
		return
	}
	if d.has("parent") && before != nil && before["parent"].String() != post["parent"].String() {
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemMoved, OldParentID: before["parent"].String()})
	}
	if d.has("menu_order") && before != nil && before["menu_order"].String() != post["menu_order"].String() {
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemSortOrderChanged, OldValue: before["menu_order"].String()})
	}
	if d.has("slug") && before != nil && before["slug"].String() != post["slug"].String() {
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemRenamed, OldName: before["slug"].String()})
	}

	changes := &dispatch.Changes{FieldChanges: []dispatch.FieldChange{}, PropertyChanges: []any{}}
	saved := false
	for _, key := range d.keys {
		if structuralKeys[key] {
			continue
		}
		saved = true
		after, ok := memberValue(post, key)
		if !ok {
			continue
		}
		fc := dispatch.FieldChange{FieldID: key, Value: after}
		if before != nil {
			if old, ok := memberValue(before, key); ok {
				fc.OriginalValue = &old
			}
		}
		changes.FieldChanges = append(changes.FieldChanges, fc)
	}
	if saved || len(op.Events) == 0 {
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemSaved, Changes: changes})
	}
}

// memberValue returns a post member as stored text: the raw form of
// rendered members, the text of scalars. Objects and arrays other than
// rendered members are left out.
func memberValue(post members, key string) (string, bool) {
	v := post[key]
	if raw := v.Get("raw"); v.IsObject() && raw.Exists() {
		return raw.String(), true
	}
	if !v.Exists() || v.IsObject() || v.IsArray() {
		return "", false
	}
	return v.String(), true
}

// settleStatus records the status WordPress actually gave the post, which
// can differ from the requested one: "publish" with a future date becomes
// "future". Submit actions fire for the state the post reached.
func (c *Classifier) settleStatus(op *dispatch.Operation, post members) {
	if op.StatusChange == nil {
		return
	}
	if s := post["status"].String(); s != "" {
		setToState(op.StatusChange, s)
	}
}
