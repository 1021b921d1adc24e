package sitecore

// Content Editor item creation as Sheer UI postbacks: item:addmaster,
// item:new and item:addfromtemplate, each with an Input dialog for the
// name of the new item.
//
// The parent is the message's id parameter if present, else the page's
// __CurrentItem field, as in sheer_items.go. The template is the master
// parameter. The dialog corresponds to the name prompt of Sitecore's
// create pipeline (unconfirmed); the GetTemplate and Execute steps run on
// the continuation. The emulator has no branches, so a branch ID is an
// unknown template.

import (
	"fmt"
	"strings"

	sheerui "github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// sheerAddFromTemplateDialog is the dialog of item:addfromtemplate, which
// chooses a template and a name.
//
// NOTE: the URL is illustrative; the format of its result is that of
// Sitecore's uiAddFromTemplate.
const sheerAddFromTemplateDialog = "/sitecore/shell/default.aspx?xmlcontrol=Sitecore.Shell.Applications.Dialogs.AddFromTemplate"

// Stages of the create and save pipelines, after those of sheer_items_more.go.
const (
	// awaitingCreateName waits for the name from the create dialog.
	awaitingCreateName = awaitingDeleteVersionConfirm + 1 + iota
	// awaitingSaveConfirm waits for the result of a save's validation
	// warning.
	awaitingSaveConfirm
)

// Texts of the create dialog.
//
// NOTE: the texts are not checked against a recorded Sitecore response.
const (
	sheerCreatePrompt          = "Enter a name for the new item:"
	sheerTemplateNotFoundAlert = "The template %s was not found."
)

// createTarget returns the parent and template of a create message. The
// parent is found as contextTarget finds it. The template ID goes in the
// command member, which otherwise only workflow commands use.
func createTarget(msg *sheerui.Message, postback *sheerui.Postback) sheerTarget {
	target := contextTarget(msg, postback)
	target.command = msg.Get("master")
	return target
}

// startItemCreate handles item:addmaster and item:new by starting a client
// pipeline with the Input dialog for the name, and item:addfromtemplate
// (fromTemplate) with the dialog that chooses a template and a name. An
// unknown parent yields an empty command list. The template is checked on
// the continuation.
func (e *Emulator) startItemCreate(req *sheerRequest, target sheerTarget, fromTemplate bool) {
	if e.sheerItem(target.itemID) == nil {
		writeSheer(req.w)
		return
	}
	id := e.addPipeline(req.session, &sheerPipeline{page: req.page, target: target, stage: awaitingCreateName, fromTemplate: fromTemplate})
	if fromTemplate {
		writeSheer(req.w,
			sheerCommand{Command: "SetPipeline", Value: id},
			sheerCommand{Command: "ShowModalDialog", Value: sheerAddFromTemplateDialog, Response: "true"})
		return
	}
	writeSheer(req.w, createDialog(id)...)
}

func createDialog(pipelineID string) []sheerCommand {
	return []sheerCommand{
		{Command: "SetPipeline", Value: pipelineID},
		{Command: "Input", Value: sheerCreatePrompt, Response: "true"},
	}
}

// resumeItemCreate continues a create pipeline, stored under key, with the
// name from the dialog. The new item gets version 1 in the parent's
// language (en if none or unknown) and its template's workflow, as the
// authoring createItem mutation does.
func (e *Emulator) resumeItemCreate(req *sheerRequest, key, id string, pipeline *sheerPipeline, result string) {
	switch result {
	case "null", "undefined", "cancel":
		delete(e.pipelines, key)
		writeSheer(req.w)
		return
	}

	if pipeline.fromTemplate {
		// The dialog posts "<template>,<name>", split at the first comma,
		// as Sitecore's uiAddFromTemplate does.
		tplRef, name, _ := strings.Cut(result, ",")
		pipeline.target.command, result = tplRef, name
	}
	parent := e.sheerItem(pipeline.target.itemID)
	if parent == nil {
		// The parent was deleted while the dialog was open.
		delete(e.pipelines, key)
		writeSheer(req.w, e.refreshCommand(req))
		return
	}

	var tpl *template
	if templateID, err := parseID(pipeline.target.command); err == nil {
		tpl = e.store.templates[templateID]
	}
	if tpl == nil {
		// NOTE: the pipeline ends after the alert, as for an unknown move
		// target. Sitecore may check the template before the name prompt.
		delete(e.pipelines, key)
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf(sheerTemplateNotFoundAlert, pipeline.target.command)})
		return
	}

	if err := checkName(result); err != nil {
		// As for a duplicate, the Input dialog opens again after the alert.
		alert := sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))}
		writeSheer(req.w, append([]sheerCommand{alert}, createDialog(id)...)...)
		return
	}

	delete(e.pipelines, key)
	lang, err := e.store.language(pipeline.target.language)
	if err != nil {
		lang = defaultLanguage
	}
	if _, _, err := e.store.createItem(parent, result, tpl, lang, nil, req.user); err != nil {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: fmt.Sprintf("%s.", capitalize(err.Error()))})
		return
	}
	writeSheer(req.w, e.refreshCommand(req))
}
