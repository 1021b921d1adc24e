package sitecore

import (
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// Complete reads the CMS response and marks the operations that succeeded.
// GraphQL reports errors inside a 200 response, so each mutation is judged by
// its own entry: it succeeded when data has a non-null entry under its key,
// no error's path starts with that key, and a successful or completed
// member, where the mutation has one, is true. Its siblings are judged
// apart.
func (c *Classifier) Complete(ops []*dispatch.Operation, status int, header http.Header, body []byte) {
	if len(ops) > 0 {
		switch ops[0].Detail.(*detail).api {
		case apiShell:
			c.completeShell(ops, status, body)
			return
		case apiSpeak:
			completeSpeak(ops, status, body)
			return
		}
	}
	answer := gjson.ParseBytes(body)
	for _, op := range ops {
		d := op.Detail.(*detail)
		if d.api == apiItemService {
			completeItemService(op, status, header)
			continue
		}
		if status < 200 || status > 299 {
			continue
		}
		result := answer
		if d.batched {
			result = answer.Get(strconv.Itoa(d.batch))
		}
		completeMutation(op, d, result)
	}
}

func completeMutation(op *dispatch.Operation, d *detail, result gjson.Result) {
	for _, e := range result.Get("errors").Array() {
		if p := e.Get("path").Array(); len(p) > 0 && p[0].String() == d.key {
			return
		}
	}
	entry := result.Get("data").Get(gjson.Escape(d.key))
	if !entry.Exists() || entry.Type == gjson.Null {
		return
	}
	switch d.result {
	case "successful":
		if !entry.Get("successful").Bool() {
			return
		}
	case "completed":
		if !entry.Get("completed").Bool() || entry.Get("error").String() != "" {
			return
		}
	}

	item := entry.Get("item")
	if d.result == "self" {
		item = entry
	}
	removed := op.Item.Version
	fillFromResult(&op.Item, item)
	if d.mutation == "deleteItemVersion" {
		// The response's item is the version left after the delete; the
		// payload names the version removed.
		op.Item.Version = removed
	}
	op.Succeeded = true
}

// fillFromResult fills the item from the item object a mutation returned,
// as far as the client selected its fields.
func fillFromResult(it *dispatch.Item, item gjson.Result) {
	if !item.IsObject() {
		return
	}
	for _, key := range []string{"itemId", "id"} {
		if v := item.Get(key); v.Type == gjson.String && v.Str != "" {
			it.ID = normalizeID(v.Str)
			break
		}
	}
	if v := item.Get("name"); v.Type == gjson.String {
		it.Name = v.Str
	}
	if v := item.Get("path"); v.Type == gjson.String {
		it.Path = v.Str
	}
	if v := item.Get("version"); v.Type == gjson.Number {
		it.Version = int(v.Int())
	}
	if v := item.Get("language.name"); v.Type == gjson.String {
		it.Language = v.Str
	}
	if v := item.Get("parent.itemId"); v.Type == gjson.String {
		it.ParentID = normalizeID(v.Str)
	}
	if v := item.Get("template.templateId"); v.Type == gjson.String {
		it.TemplateID = normalizeID(v.Str)
	}
	if v := item.Get("template.name"); v.Type == gjson.String {
		it.TemplateName = v.Str
	}
}
