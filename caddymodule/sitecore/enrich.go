package sitecore

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// enrichQuery reads an item through the Authoring API's item query, with
// the members that the Sitecore Item payload needs.
//
// NOTE: the Authoring API's ItemField has no shared or unversioned flag,
// so enriched fields all go to VersionedFields.
const enrichQuery = `query CmsWebhooksItem($where: ItemQueryInput) {
  item(where: $where) {
    itemId name path version
    language { name }
    parent { itemId }
    template { templateId name }
    fields(ownFields: false, excludeStandardFields: false) { nodes { fieldId name value } }
  }
}`

// stateQuery reads the workflow state of an item version.
const stateQuery = `query CmsWebhooksState($where: ItemQueryInput) {
  item(where: $where) { itemId workflow { workflowState { stateId } } }
}`

// stateRead reads, before a workflow command is forwarded, the state the
// item is in, so that a command whose item is in another state, which
// Sitecore refuses, does not call the validation actions. When the read
// fails, the state stays unknown and the validation actions run.
func (c *Classifier) stateRead(it dispatch.Item) dispatch.Lookup {
	return c.authoringRead(queryBody(stateQuery, it), "item", func(op *dispatch.Operation, item gjson.Result) {
		if id := item.Get("workflow.workflowState.stateId").String(); id != "" {
			// The change may be held for a comment dialog.
			changeOf(op).FromState = normalizeID(id)
			op.Detail.(*detail).stateRead = true
		}
	})
}

// movedRead reads the state of a workflow command's item after Sitecore
// responded with an alert. It marks the command succeeded when the item
// has left the state that the read before forwarding found.
func (c *Classifier) movedRead(op *dispatch.Operation) dispatch.Lookup {
	from := op.StatusChange.FromState
	return c.authoringRead(queryBody(stateQuery, op.Item), "item", func(op *dispatch.Operation, item gjson.Result) {
		if now := item.Get("workflow.workflowState.stateId").String(); now != "" && normalizeID(now) != from {
			op.Succeeded = true
		}
	})
}

// readsBefore are the mutations whose payloads need the item as it was
// before the write.
var readsBefore = map[string]bool{
	"update": true, "delete": true,
	"updateItem": true, "deleteItem": true, "renameItem": true, "moveItem": true,
	"deleteItemVersion": true, "executeWorkflowCommand": true,
	"item:save": true, "contenteditor:save": true,
	"item:delete": true, "item:deletechildren": true, "item:deleteversion": true, "item:rename": true, "item:moveto": true,
	speakSaveRequest: true,
}

// EnrichBefore returns the read of the item before the write, for the
// mutations whose payloads need old values or the item being deleted, and
// the reads that tell where a Content Editor create or copy puts its item.
func (c *Classifier) EnrichBefore(op *dispatch.Operation) []dispatch.Lookup {
	d := op.Detail.(*detail)
	if d.opensDialog {
		// The write runs in the continuation, which reads then.
		return nil
	}
	if im, ok := itemMessages[strings.ToLower(d.mutation)]; ok && (im.create || im.copy) && d.api == apiShell {
		return c.placeReads(op)
	}
	if !readsBefore[d.mutation] {
		return nil
	}
	return []dispatch.Lookup{c.itemRead(op.Item, func(op *dispatch.Operation, item gjson.Result) {
		d := op.Detail.(*detail)
		d.before = item
		switch d.mutation {
		case "executeWorkflowCommand", "delete", "deleteItem", "deleteItemVersion", "item:delete", "item:deletechildren", "item:deleteversion":
			// The item does not change its content here, or is gone
			// after the write, so the read before is the item.
			fillFromRead(&op.Item, item)
		}
	})}
}

// EnrichAfter returns the read of the item after the write, which fills
// the item as stored and the events' old values from the read before.
func (c *Classifier) EnrichAfter(op *dispatch.Operation) []dispatch.Lookup {
	d := op.Detail.(*detail)
	switch d.mutation {
	case "delete", "deleteItem", "deleteItemVersion", "executeWorkflowCommand", "item:delete", "item:deletechildren", "item:deleteversion":
		return nil
	}
	if op.Item.ID == "" && op.Item.Path == "" && d.parentPath != "" {
		// A Content Editor create or copy: the new item's id is in
		// neither request nor response, so it is read by its path.
		name := op.Item.Name
		if name == "" {
			name = d.copyName
		}
		if name != "" {
			op.Item.Path = d.parentPath + "/" + name
		}
	}
	if op.Item.ID == "" && op.Item.Path == "" {
		return nil
	}
	lookups := []dispatch.Lookup{c.itemRead(op.Item, func(op *dispatch.Operation, item gjson.Result) {
		d := op.Detail.(*detail)
		d.after = item
		fillFromRead(&op.Item, item)
		applyBefore(op, d)
		if d.mutation == speakSaveRequest && d.before.Exists() && unchanged(op) {
			// An Experience Editor save posts the fields of every item
			// on the page, but Sitecore saves only the items whose
			// values changed, so this one was not saved.
			op.Succeeded = false
		}
	})}
	for i, e := range op.Events {
		if e.Name != dispatch.EventItemCopied || e.Source == nil || (e.Source.ID == "" && e.Source.Path == "") {
			continue
		}
		// The copy's source is an item of its own, read apart.
		lookups = append(lookups, c.itemRead(*e.Source, func(op *dispatch.Operation, item gjson.Result) {
			source := *op.Events[i].Source
			fillFromRead(&source, item)
			op.Events[i].Source = &source
		}))
	}
	return lookups
}

// placeReads returns the reads, before a Content Editor create or copy, of
// the parent that the new item goes under and of the copy's source, whose
// name a copy to another parent keeps. A duplicate goes beside its source.
//
// NOTE: Sitecore allows siblings of the same name, and a read by path
// returns one of them, so a new item named as an existing sibling may be
// reported as that sibling.
func (c *Classifier) placeReads(op *dispatch.Operation) []dispatch.Lookup {
	var lookups []dispatch.Lookup
	if op.Item.ParentID != "" {
		lookups = append(lookups, c.itemRead(dispatch.Item{ID: op.Item.ParentID, Language: op.Item.Language}, func(op *dispatch.Operation, item gjson.Result) {
			op.Detail.(*detail).parentPath = item.Get("path").String()
		}))
	}
	for _, e := range op.Events {
		if e.Source == nil || e.Source.ID == "" {
			continue
		}
		duplicate := op.Item.ParentID == ""
		lookups = append(lookups, c.itemRead(*e.Source, func(op *dispatch.Operation, item gjson.Result) {
			d := op.Detail.(*detail)
			d.copyName = item.Get("name").String()
			if path := item.Get("path").String(); duplicate && strings.Contains(path, "/") {
				d.parentPath = path[:strings.LastIndex(path, "/")]
			}
		}))
		break
	}
	return lookups
}

// childrenQuery reads the children of an item.
//
// NOTE: how many children the Authoring API's children connection returns
// without paging arguments is unconfirmed; children beyond its first page
// fire nothing.
const childrenQuery = `query CmsWebhooksChildren($where: ItemQueryInput) {
  item(where: $where) { children { nodes { itemId name path } } }
}`

// childrenRead builds the read of the children of the item that a
// message acts on, and replaces its operation with one per child, each
// with the message's events and dialog.
func (c *Classifier) childrenRead(parent dispatch.Item, im itemMessage) dispatch.Lookup {
	return c.authoringRead(queryBody(childrenQuery, parent), "item", func(op *dispatch.Operation, item gjson.Result) {
		d := op.Detail.(*detail)
		for _, child := range item.Get("children.nodes").Array() {
			it := dispatch.Item{
				ID:       normalizeID(child.Get("itemId").String()),
				Name:     child.Get("name").String(),
				Path:     child.Get("path").String(),
				ParentID: parent.ID,
				Language: parent.Language,
			}
			perChild := &dispatch.Operation{Item: it, Detail: &detail{api: apiShell, mutation: d.mutation, batch: -1,
				session: d.session, dialogResult: d.dialogResult, opensDialog: d.opensDialog, flow: d.flow}}
			for _, e := range im.events {
				perChild.AddEvent(dispatch.Event{Name: e})
			}
			op.Fanout = append(op.Fanout, perChild)
		}
	})
}

// unchanged reports whether the item:saved of an operation lists no field
// change. A real save changes at least __Updated.
func unchanged(op *dispatch.Operation) bool {
	for _, e := range op.Events {
		if e.Name == dispatch.EventItemSaved && e.Changes != nil && len(e.Changes.FieldChanges) == 0 {
			return true
		}
	}
	return false
}

// queryBody returns a GraphQL request for a query about one item version.
func queryBody(query string, it dispatch.Item) []byte {
	where := map[string]any{}
	if it.ID != "" {
		where["itemId"] = it.ID
	} else {
		where["path"] = it.Path
	}
	if it.Language != "" {
		where["language"] = it.Language
	}
	if it.Version > 0 {
		where["version"] = it.Version
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"where": where}})
	return body
}

// itemRead builds the GraphQL read of one item version.
func (c *Classifier) itemRead(it dispatch.Item, apply func(*dispatch.Operation, gjson.Result)) dispatch.Lookup {
	return c.authoringRead(queryBody(enrichQuery, it), "item", apply)
}

// authoringRead builds a read through the Authoring API whose apply gets
// the object under data.<field>, and is not called when the read failed.
func (c *Classifier) authoringRead(body []byte, field string, apply func(*dispatch.Operation, gjson.Result)) dispatch.Lookup {
	return dispatch.Lookup{
		Path:   c.cfg.AuthoringPath,
		Method: http.MethodPost,
		Body:   body,
		Apply: func(op *dispatch.Operation, status int, answer []byte) {
			result := gjson.GetBytes(answer, "data."+field)
			if status != http.StatusOK || !result.IsObject() {
				return
			}
			apply(op, result)
		},
	}
}

// fillFromRead sets the item from a read: every member the read returns.
func fillFromRead(it *dispatch.Item, item gjson.Result) {
	fillFromResult(it, item)
	if v := item.Get("version"); v.Type == gjson.Number && v.Int() > 0 {
		it.Version = int(v.Int())
	}
	it.MasterID = "00000000-0000-0000-0000-000000000000"
	it.SharedFields = []dispatch.Field{}
	it.UnversionedFields = []dispatch.Field{}
	it.VersionedFields = []dispatch.Field{}
	for _, f := range item.Get("fields.nodes").Array() {
		it.VersionedFields = append(it.VersionedFields, dispatch.Field{
			ID:       normalizeID(f.Get("fieldId").String()),
			Value:    f.Get("value").String(),
			Version:  it.Version,
			Language: it.Language,
		})
	}
}

// applyBefore fills the events' old values from the read before the write.
func applyBefore(op *dispatch.Operation, d *detail) {
	if !d.before.Exists() {
		return
	}
	for i := range op.Events {
		e := &op.Events[i]
		switch e.Name {
		case dispatch.EventItemRenamed:
			e.OldName = d.before.Get("name").String()
		case dispatch.EventItemMoved:
			e.OldParentID = normalizeID(d.before.Get("parent.itemId").String())
		case dispatch.EventItemSaved:
			e.Changes = changesOf(op, d)
		}
	}
}

// changesOf lists the fields the request set, with their stored value now
// and before the write.
func changesOf(op *dispatch.Operation, d *detail) *dispatch.Changes {
	if len(d.fieldNames) == 0 {
		return diffChanges(d.before, d.after)
	}
	old := map[string]string{}
	for _, f := range d.before.Get("fields.nodes").Array() {
		old[f.Get("name").String()] = f.Get("value").String()
	}
	changes := &dispatch.Changes{FieldChanges: []dispatch.FieldChange{}, PropertyChanges: []any{}}
	for _, name := range d.fieldNames {
		id, value := fieldByName(d.after, name)
		if id == "" {
			continue
		}
		fc := dispatch.FieldChange{FieldID: id, Value: value}
		if before, ok := old[name]; ok {
			fc.OriginalValue = &before
		}
		changes.FieldChanges = append(changes.FieldChanges, fc)
	}
	return changes
}

// diffChanges lists the fields whose values differ between the reads before
// and after a write, for the classic editors' saves, whose requests do not
// tell which fields they set: the Content Editor's fields are opaque, and
// the Experience Editor posts every field of the page. Standard fields that
// every save updates, such as __Updated, are listed too.
func diffChanges(before, after gjson.Result) *dispatch.Changes {
	old := map[string]string{}
	for _, f := range before.Get("fields.nodes").Array() {
		old[normalizeID(f.Get("fieldId").String())] = f.Get("value").String()
	}
	changes := &dispatch.Changes{FieldChanges: []dispatch.FieldChange{}, PropertyChanges: []any{}}
	for _, f := range after.Get("fields.nodes").Array() {
		id, value := normalizeID(f.Get("fieldId").String()), f.Get("value").String()
		prev, existed := old[id]
		if existed && prev == value {
			continue
		}
		fc := dispatch.FieldChange{FieldID: id, Value: value}
		if existed {
			fc.OriginalValue = &prev
		}
		changes.FieldChanges = append(changes.FieldChanges, fc)
	}
	return changes
}

// fieldByName returns the id and value of a field in a read.
func fieldByName(item gjson.Result, name string) (string, string) {
	for _, f := range item.Get("fields.nodes").Array() {
		if f.Get("name").String() == name {
			return normalizeID(f.Get("fieldId").String()), f.Get("value").String()
		}
	}
	return "", ""
}
