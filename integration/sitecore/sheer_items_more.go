package sitecore

// More Content Editor item operations as Sheer UI postbacks: item:duplicate
// with its Input dialog, item:moveto and item:copyto with the SelectItem
// dialog for the destination, item:deleteversion with its Confirm dialog,
// and item:addversion and the sorting commands, which run at once.
//
// The item is found as in sheer_items.go. The dialogs correspond to the
// GetName, GetDestination and Confirm steps of Sitecore's duplicate, move,
// copy and delete pipelines. The emulator does not model the permission,
// shadow, link and language checks of those pipelines.

import (
	"fmt"
	"slices"
	"strconv"

	sheerui "github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// Stages of the further item pipelines, after those of sheer_items.go.
const (
	// awaitingDuplicateName waits for the name from the duplicate dialog.
	awaitingDuplicateName = awaitingNewName + 1 + iota
	// awaitingMoveTarget waits for the target ID from the move dialog.
	awaitingMoveTarget
	// awaitingCopyTarget waits for the target ID from the copy dialog.
	awaitingCopyTarget
	// awaitingDeleteVersionConfirm waits for the result of the delete
	// version Confirm dialog.
	awaitingDeleteVersionConfirm
)

// Texts and URL of the further item dialogs.
//
// NOTE: the texts are not checked against a recorded Sitecore response.
const (
	sheerDuplicatePrompt       = "Enter a name for the new item:"
	sheerDeleteVersionQuestion = "Are you sure you want to delete this version?"
	sheerSelectItemDialog      = "/sitecore/shell/default.aspx?xmlcontrol=Sitecore.Shell.Applications.Dialogs.SelectItem"
	sheerTargetNotFoundAlert   = "The target item %s was not found."
	sheerDuplicateRootAlert    = "The root item /sitecore cannot be duplicated."
)

// startItemDuplicate handles item:duplicate by starting a client pipeline
// with the Input dialog for the name of the copy.
func (e *Emulator) startItemDuplicate(req *sheerRequest, target sheerTarget) {
	e.startItemDialog(req, target, awaitingDuplicateName, duplicateDialog)
}

// startItemMoveTo handles item:moveto by starting a client pipeline with
// the dialog that selects the destination.
func (e *Emulator) startItemMoveTo(req *sheerRequest, target sheerTarget) {
	e.startItemDialog(req, target, awaitingMoveTarget, selectItemDialog)
}

// startItemCopyTo handles item:copyto as item:moveto, with a copy at the end.
func (e *Emulator) startItemCopyTo(req *sheerRequest, target sheerTarget) {
	e.startItemDialog(req, target, awaitingCopyTarget, selectItemDialog)
}

// addVersionToItem handles item:addversion: it adds a version in the
// target's language, copied from the target version, and reloads.
//
// NOTE: Sitecore's AddVersion runs as a client pipeline that first prompts
// to save unsaved edits (CheckModified); the emulator adds the version
// at once.
func (e *Emulator) addVersionToItem(req *sheerRequest, target sheerTarget) {
	it, lang, v, ok := e.resolveSheerTarget(target)
	if !ok {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: "Item not found."})
		return
	}
	if _, err := e.store.addVersion(it, lang, v.number, "", req.user); err != nil {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: err.Error()})
		return
	}
	writeSheer(req.w, e.refreshCommand(req))
}

// sortItem handles item:moveup, item:movedown, item:movefirst and
// item:movelast: it moves the item among its siblings (direction up, down,
// first or last) and writes the siblings' __Sortorder anew. An item
// already at that end stays where it is.
//
// NOTE: that these commands run without a dialog is an assumption; no
// recorded response shows them.
func (e *Emulator) sortItem(req *sheerRequest, target sheerTarget, direction string) {
	it, _, _, ok := e.resolveSheerTarget(target)
	if !ok || it.parent == nil {
		writeSheer(req.w)
		return
	}
	siblings := it.parent.children
	index := slices.Index(siblings, it)
	switch direction {
	case "up":
		index = max(0, index-1)
	case "down":
		index = min(len(siblings)-1, index+1)
	case "first":
		index = 0
	case "last":
		index = len(siblings) - 1
	}
	parent := it.parent
	if err := e.store.moveItem(it, parent, index); err != nil {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: err.Error()})
		return
	}
	e.store.renumberChildren(parent)
	writeSheer(req.w, e.refreshCommand(req))
}

// startItemDeleteVersion handles item:deleteversion by starting a client
// pipeline with the Confirm dialog. The pipeline keeps the resolved
// language and number, so a version added meanwhile is not the one deleted.
func (e *Emulator) startItemDeleteVersion(req *sheerRequest, target sheerTarget) {
	_, lang, v, ok := e.resolveSheerTarget(target)
	if !ok {
		writeSheer(req.w)
		return
	}
	target.language, target.version = lang, strconv.Itoa(v.number)
	id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: awaitingDeleteVersionConfirm})
	writeSheer(req.w,
		sheerCommand{Command: "SetPipeline", Value: id},
		sheerCommand{Command: "Confirm", Value: sheerDeleteVersionQuestion, Response: "true"})
}

// startItemDialog opens the dialog of stage for the item of target, or
// writes an empty command list if the item is not found.
func (e *Emulator) startItemDialog(req *sheerRequest, target sheerTarget, stage pipelineStage, dialog func(string) []sheerCommand) {
	if _, _, _, ok := e.resolveSheerTarget(target); !ok {
		writeSheer(req.w)
		return
	}
	id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: stage})
	writeSheer(req.w, dialog(id)...)
}

func duplicateDialog(pipelineID string) []sheerCommand {
	return []sheerCommand{
		{Command: "SetPipeline", Value: pipelineID},
		{Command: "Input", Value: sheerDuplicatePrompt, Response: "true"},
	}
}

func selectItemDialog(pipelineID string) []sheerCommand {
	return []sheerCommand{
		{Command: "SetPipeline", Value: pipelineID},
		{Command: "ShowModalDialog", Value: sheerSelectItemDialog, Response: "true"},
	}
}

// resumeMoreItemPipeline continues a duplicate, move, copy or delete
// version pipeline with a dialog result other than a cancel. The caller
// has resolved the pipeline's item version to it, lang and v.
func (e *Emulator) resumeMoreItemPipeline(req *sheerRequest, key, id string, pipeline *sheerPipeline, it *item, v *itemVersion, lang, result string) {
	switch pipeline.stage {
	case awaitingSaveConfirm:
		delete(e.pipelines, key)
		if result != "yes" {
			writeSheer(req.w)
			return
		}
		e.store.stamp(it, lang, v, req.user)
		writeSheer(req.w, e.refreshCommand(req))
	case awaitingDuplicateName:
		if err := checkName(result); err != nil {
			// As for a rename, the Input dialog opens again after the alert.
			alert := sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))}
			writeSheer(req.w, append([]sheerCommand{alert}, duplicateDialog(id)...)...)
			return
		}
		delete(e.pipelines, key)
		if it.parent == nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: sheerDuplicateRootAlert})
			return
		}
		dup, err := e.store.copyItem(it, it.parent, result, true)
		if err != nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))})
			return
		}
		// The emulator places the copy right after the original.
		e.store.detach(dup)
		e.store.attach(dup, it.parent, indexOf(it.parent.children, it)+1)
		writeSheer(req.w, e.refreshCommand(req))

	case awaitingMoveTarget, awaitingCopyTarget:
		// NOTE: an invalid target ends the pipeline after the alert, so the
		// emulator does not open the dialog again. Sitecore may reopen it.
		delete(e.pipelines, key)
		dest := e.sheerItem(result)
		if dest == nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf(sheerTargetNotFoundAlert, result)})
			return
		}
		var err error
		if pipeline.stage == awaitingMoveTarget {
			err = e.store.moveItem(it, dest, -1)
		} else {
			// NOTE: the copy keeps the item's name even if the target has a
			// child of that name. Sitecore may pick a "Copy of" name instead.
			_, err = e.store.copyItem(it, dest, it.name, true)
		}
		if err != nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))})
			return
		}
		writeSheer(req.w, e.refreshCommand(req))

	case awaitingDeleteVersionConfirm:
		delete(e.pipelines, key)
		if result != "yes" {
			writeSheer(req.w)
			return
		}
		if err := e.store.deleteVersion(it, lang, v.number); err != nil {
			writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))})
			return
		}
		writeSheer(req.w, e.refreshCommand(req))

	default:
		delete(e.pipelines, key)
		writeSheer(req.w)
	}
}

// sheerItem returns the item whose ID a dialog returned, or nil.
func (e *Emulator) sheerItem(id string) *item {
	parsed, err := parseID(id)
	if err != nil {
		return nil
	}
	return e.store.items[parsed]
}

// deleteVersionTarget returns the item version of item:deleteversion: as
// contextTarget, with the language and version parameters also applied to
// the item of __CurrentItem.
func deleteVersionTarget(msg *sheerui.Message, postback *sheerui.Postback) sheerTarget {
	target := contextTarget(msg, postback)
	if msg.Get("id") == "" {
		if lang := msg.Get("language"); lang != "" {
			target.language = lang
		}
		if version := msg.Get("version"); version != "" {
			target.version = version
		}
	}
	return target
}
