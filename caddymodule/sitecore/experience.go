package sitecore

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// speakSaveRequest is the step of an Experience Editor save that writes.
const speakSaveRequest = "ExperienceEditor.Save.CallServerSavePipeline"

// speakEvents maps the Experience Editor's writing SPEAK requests to the
// item events they fire. Requests named Can*, Check*, Get*, Is* and
// Validate*, and all others not listed, only read.
var speakEvents = map[string][]string{
	speakSaveRequest:                          {dispatch.EventItemSaved},
	"ExperienceEditor.Insert":                 {dispatch.EventItemAdded},
	"ExperienceEditor.Rename":                 {dispatch.EventItemRenamed},
	"ExperienceEditor.Move":                   {dispatch.EventItemMoved},
	"ExperienceEditor.Delete.ExecuteRequest":  {dispatch.EventItemDeleting, dispatch.EventItemDeleted},
	"ExperienceEditor.AddVersion.Execute":     {dispatch.EventItemVersionAdded},
	"ExperienceEditor.RemoveVersions.Execute": {dispatch.EventItemVersionRemoved},

	// NOTE: that these change the context item (its display name, its
	// layout, or all its versions in the language) is read from their
	// names. Their arguments are unconfirmed, so the payload names only
	// the item.
	"ExperienceEditor.ChangeDisplayName":      {dispatch.EventItemSaved},
	"ExperienceEditor.LayoutDetails.SetValue": {dispatch.EventItemSaved},
	"ExperienceEditor.ResetLayout.Execute":    {dispatch.EventItemSaved},
	"ExperienceEditor.LayoutPresets.Execute":  {dispatch.EventItemSaved},
	"ExperienceEditor.RemoveLanguage.Execute": {dispatch.EventItemVersionRemoved},
}

// classifySpeak reads an Experience Editor SPEAK request. A save posts the
// fields of every item on the page, keyed by item, field, language and
// version, so it fires one item:saved per item. Sitecore keeps only the
// values that changed, which the request does not tell, so the payload
// carries no Changes.
func (c *Classifier) classifySpeak(name string, body []byte) []*dispatch.Operation {
	events, ok := speakEvents[name]
	if !ok {
		return nil
	}
	req, err := ParseSpeakRequest(name, body)
	if err != nil {
		return nil
	}

	newOp := func(it dispatch.Item) *dispatch.Operation {
		op := &dispatch.Operation{Item: it, Detail: &detail{api: apiSpeak, mutation: name, batch: -1}}
		for _, e := range events {
			op.AddEvent(dispatch.Event{Name: e})
		}
		return op
	}
	version, _ := strconv.Atoi(req.Get("version"))
	context := dispatch.Item{ID: normalizeID(req.Get("itemId")), Language: req.Get("language"), Version: version}

	switch name {
	case speakSaveRequest:
		values, err := req.FieldValues()
		if err != nil {
			return nil
		}
		items := map[string]dispatch.Item{}
		for _, v := range values {
			if v.Key.Session {
				continue
			}
			n, _ := strconv.Atoi(v.Key.Version)
			items[normalizeID(v.Key.ItemID)] = dispatch.Item{ID: normalizeID(v.Key.ItemID), Language: v.Key.Language, Version: n}
		}
		ids := make([]string, 0, len(items))
		for id := range items {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var ops []*dispatch.Operation
		for _, id := range ids {
			ops = append(ops, newOp(items[id]))
		}
		return ops
	case "ExperienceEditor.Insert":
		it := dispatch.Item{ParentID: context.ID, Language: context.Language, Name: req.Get("name"), TemplateID: normalizeID(req.Get("templateItemId"))}
		return []*dispatch.Operation{newOp(it)}
	case "ExperienceEditor.Rename":
		context.Name = req.Get("value")
		return []*dispatch.Operation{newOp(context)}
	case "ExperienceEditor.Move":
		context.ParentID = normalizeID(req.Get("targetItemId"))
		return []*dispatch.Operation{newOp(context)}
	default:
		return []*dispatch.Operation{newOp(context)}
	}
}

// completeSpeak reads a SPEAK response: the request succeeded when it is a
// 200 whose error is false and that carries no abortMessage. An insert's
// new item id is in responseValue.value.itemId.
func completeSpeak(ops []*dispatch.Operation, status int, body []byte) {
	if status != http.StatusOK {
		return
	}
	resp := gjson.ParseBytes(body)
	if resp.Get("error").Bool() || resp.Get("responseValue.abortMessage").String() != "" {
		return
	}
	for _, op := range ops {
		if op.Detail.(*detail).mutation == "ExperienceEditor.Insert" {
			id := resp.Get("responseValue.value.itemId").String()
			if id == "" {
				continue
			}
			op.Item.ID = normalizeID(id)
		}
		op.Succeeded = true
	}
}

// rejectSpeak returns the answer to a blocked SPEAK request: a 200 with
// error true and the message, which the ribbon shows as an error and which
// stops the client pipeline. The message is shown as HTML, so it is
// escaped.
func rejectSpeak(message string) (int, string, []byte) {
	b, _ := json.Marshal(map[string]any{"error": true, "errorMessage": escapeText(message)})
	return http.StatusOK, "application/json; charset=utf-8", b
}
