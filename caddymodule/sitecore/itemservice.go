package sitecore

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// itemServiceKeys are the members of an ItemService create body that are
// not field values.
var itemServiceKeys = map[string]bool{"ItemName": true, "TemplateID": true}

// classifyItemService reads an ItemService write: POST item/{parent path}
// creates, PATCH item/{id} updates, DELETE item/{id} deletes.
func (c *Classifier) classifyItemService(r *http.Request, rest string, body []byte) []*dispatch.Operation {
	q := r.URL.Query()
	target := strings.Trim(rest, "/")
	if target == "" {
		return nil
	}
	d := &detail{api: apiItemService, batch: -1}
	op := &dispatch.Operation{Detail: d}
	op.Item.Language = q.Get("language")
	if v, err := strconv.Atoi(q.Get("version")); err == nil {
		op.Item.Version = v
	}

	switch r.Method {
	case http.MethodPost:
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil
		}
		name, _ := fields["ItemName"].(string)
		template, _ := fields["TemplateID"].(string)
		if name == "" {
			return nil
		}
		d.mutation = "create"
		op.Item.Name = name
		op.Item.TemplateID = normalizeID(template)
		op.Item.Path = path.Join("/", target, name)
		for k := range fields {
			if !itemServiceKeys[k] {
				d.fieldNames = append(d.fieldNames, k)
			}
		}
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemAdded})
	case http.MethodPatch, http.MethodPut:
		if strings.Contains(target, "/") {
			return nil
		}
		var fields map[string]any
		if json.Unmarshal(body, &fields) != nil {
			return nil
		}
		d.mutation = "update"
		op.Item.ID = normalizeID(target)
		for k := range fields {
			d.fieldNames = append(d.fieldNames, k)
		}
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemSaved})
	case http.MethodDelete:
		if strings.Contains(target, "/") {
			return nil
		}
		d.mutation = "delete"
		op.Item.ID = normalizeID(target)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleting})
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleted})
	default:
		return nil
	}
	return []*dispatch.Operation{op}
}

// completeItemService marks an ItemService write that the CMS responded with
// a 2xx status as succeeded, and reads a new item's id from Location.
func completeItemService(op *dispatch.Operation, status int, header http.Header) {
	if status < 200 || status > 299 {
		return
	}
	if op.Detail.(*detail).mutation == "create" {
		if loc, err := url.Parse(header.Get("Location")); err == nil && loc.Path != "" {
			op.Item.ID = normalizeID(path.Base(loc.Path))
		}
	}
	op.Succeeded = true
}
