package sitecore

// Content Editor item operations as Sheer UI postbacks: item:save and
// contenteditor:save without a pipeline, item:delete with its Confirm
// dialog and item:rename with its Input dialog.
//
// The item is the message's id parameter if present, else the page's
// __CurrentItem field. The dialogs correspond to the Confirm and GetNewName
// steps of Sitecore's delete and rename pipelines. The emulator does not
// model the permission, link and clone checks of those pipelines.

import (
	"fmt"
	"slices"

	sheerui "github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// Stages of the item pipelines, after those of sheer.go.
const (
	// awaitingDeleteConfirm waits for the result of the delete Confirm dialog.
	awaitingDeleteConfirm = awaitingComment + 1 + iota
	// awaitingNewName waits for the new name from the rename dialog.
	awaitingNewName
)

// Texts of the item dialogs.
//
// NOTE: the texts are not checked against a recorded Sitecore response.
const (
	sheerDeleteQuestion = "Are you sure you want to delete this item?"
	sheerRenamePrompt   = "Enter a new name for the item:"
)

// contextTarget returns the item version a Content Editor message works
// on: the id, language and version parameters if id is present, else the
// item URI of __CurrentItem. An unreadable URI yields an empty target,
// which resolves to no item.
func contextTarget(msg *sheerui.Message, postback *sheerui.Postback) sheerTarget {
	if id := msg.Get("id"); id != "" {
		return sheerTarget{itemID: id, language: msg.Get("language"), version: msg.Get("version")}
	}
	uri, err := sheerui.ParseItemURI(postback.Form.Get("__CurrentItem"))
	if err != nil || checkDatabase(uri.Database) != nil {
		return sheerTarget{}
	}
	return sheerTarget{itemID: uri.ID, language: uri.Language, version: uri.Version}
}

// saveContextItem handles item:save and contenteditor:save without a
// pipeline to resume. FIELD<n> values cannot be mapped to fields, so the
// save only stamps __Updated and __Updated by on the item version.
func (e *Emulator) saveContextItem(req *sheerRequest, target sheerTarget) {
	it, lang, v, ok := e.resolveSheerTarget(target)
	if !ok {
		writeSheer(req.w)
		return
	}
	if warning, ok := e.saveWarnings[it.id]; ok {
		// NOTE: that the Validators step of saveUI prompts with a Confirm
		// dialog and resumes on "yes" is a guess; no recorded response
		// shows it.
		id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: awaitingSaveConfirm})
		writeSheer(req.w,
			sheerCommand{Command: "SetPipeline", Value: id},
			sheerCommand{Command: "Confirm", Value: warning + " Do you want to save anyway?", Response: "true"})
		return
	}
	e.store.stamp(it, lang, v, req.user)
	writeSheer(req.w, e.refreshCommand(req))
}

// startItemDelete handles item:delete, and with children item:deletechildren,
// by starting a client pipeline with the Confirm dialog.
//
// NOTE: that item:deletechildren confirms with the same dialog as
// item:delete is an assumption; no recorded response shows it.
func (e *Emulator) startItemDelete(req *sheerRequest, target sheerTarget, children bool) {
	if _, _, _, ok := e.resolveSheerTarget(target); !ok {
		writeSheer(req.w)
		return
	}
	id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: awaitingDeleteConfirm, children: children})
	writeSheer(req.w,
		sheerCommand{Command: "SetPipeline", Value: id},
		sheerCommand{Command: "Confirm", Value: sheerDeleteQuestion, Response: "true"})
}

// startItemRename handles item:rename by starting a client pipeline with
// the Input dialog for the new name.
func (e *Emulator) startItemRename(req *sheerRequest, target sheerTarget) {
	if _, _, _, ok := e.resolveSheerTarget(target); !ok {
		writeSheer(req.w)
		return
	}
	id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: awaitingNewName})
	writeSheer(req.w, renameDialog(id)...)
}

func renameDialog(pipelineID string) []sheerCommand {
	return []sheerCommand{
		{Command: "SetPipeline", Value: pipelineID},
		{Command: "Input", Value: sheerRenamePrompt, Response: "true"},
	}
}

// resumeItemPipeline continues a delete or rename pipeline of the
// request's session, stored under key, with a dialog result.
func (e *Emulator) resumeItemPipeline(req *sheerRequest, key, id string, pipeline *sheerPipeline, result string) {
	switch result {
	case "null", "undefined", "cancel":
		delete(e.pipelines, key)
		writeSheer(req.w)
		return
	}
	it, lang, v, ok := e.resolveSheerTarget(pipeline.target)
	if !ok {
		// The item was deleted while the dialog was open.
		delete(e.pipelines, key)
		writeSheer(req.w, e.refreshCommand(req))
		return
	}

	switch pipeline.stage {
	case awaitingDeleteConfirm:
		delete(e.pipelines, key)
		if result != "yes" {
			writeSheer(req.w)
			return
		}
		doomed := []*item{it}
		if pipeline.children {
			doomed = slices.Clone(it.children)
		}
		for _, child := range doomed {
			if err := e.store.deleteItem(child); err != nil {
				writeSheer(req.w, sheerCommand{Command: "Alert", Value: err.Error()})
				return
			}
		}
		writeSheer(req.w, e.refreshCommand(req))

	case awaitingNewName:
		if err := checkName(result); err != nil {
			// NOTE: the emulator shows the Input dialog again after the alert,
			// so the pipeline keeps waiting. Sitecore may end the pipeline instead.
			alert := sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))}
			writeSheer(req.w, append([]sheerCommand{alert}, renameDialog(id)...)...)
			return
		}
		delete(e.pipelines, key)
		if err := e.store.renameItem(it, result, lang, req.user); err != nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: err.Error()})
			return
		}
		writeSheer(req.w, e.refreshCommand(req))

	default:
		e.resumeMoreItemPipeline(req, key, id, pipeline, it, v, lang, result)
	}
}

// capitalize upper-cases the first letter of an ASCII message.
func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
