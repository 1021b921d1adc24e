package sitecore

// Sheer UI postbacks of the classic editors: the Content Editor's
// item:workflow command and the Workbox's workflow:send, sendselected and
// sendall messages, including the client pipelines that ask for a workflow
// comment or for saving unsaved edits first.
//
// The flow follows Sitecore's Workflow command
// (Sitecore.Shell.Framework.Commands.Workflow) and WorkboxForm. Requests are
// read with the Sheer UI parsers of caddymodule/sitecore.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	sheerui "github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// Paths of the Sheer UI pages that accept postbacks. Matching ignores letter
// case. The Content Editor's space arrives percent-encoded and is decoded
// before matching.
const (
	ContentEditorPath = "/sitecore/shell/Applications/Content editor.aspx"
	ShellDefaultPath  = "/sitecore/shell/default.aspx"
	WorkboxPath       = "/sitecore/shell/Applications/Workbox.aspx"

	// WebEditRibbonPath is the Experience Editor's ribbon, which posts the
	// notification bar's workflow buttons as Sheer UI postbacks.
	WebEditRibbonPath = "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx"
)

// Texts of the emulator's Sheer UI replies.
const (
	// sheerRefreshEval makes the Content Editor reload its item.
	sheerRefreshEval = "scForm.postRequest('','','','item:refresh')"

	// sheerCommentDialog is the URL of the workflow comment dialog.
	sheerCommentDialog = "/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"

	// sheerStateChanged is the alert of Sitecore's Workflow command (as the
	// Worxbox module copies it) when the current state lacks the command.
	sheerStateChanged = "The item has been moved to a different workflow state. Sitecore will therefore reload the item."

	// sheerSaveFirst is the question of the CheckModified dialog, in the
	// emulator's own wording.
	sheerSaveFirst = "Do you want to save the changes to the item?"

	// sheerNoSelection is the Workbox alert for a bulk command without items.
	sheerNoSelection = "There are no selected items."

	// sheerCommentMaxLength is the Workbox's limit on comments.
	sheerCommentMaxLength = 2000
)

// sheerPage is the kind of page a postback reaches. It selects the
// messages the page handles and how a reply refreshes the page.
type sheerPage int

const (
	contentEditorPage sheerPage = iota
	workboxPage
)

// sheerPageOf returns the page that path names, and false for other paths.
// The path must be lower case, without a trailing slash. The shell's
// default.aspx is the Workbox when its xmlcontrol query value is Workbox,
// and the Content Editor otherwise.
func sheerPageOf(path string, r *http.Request) (sheerPage, bool) {
	switch path {
	case strings.ToLower(ContentEditorPath), strings.ToLower(WebEditRibbonPath):
		return contentEditorPage, true
	case strings.ToLower(WorkboxPath):
		return workboxPage, true
	case strings.ToLower(ShellDefaultPath):
		if strings.EqualFold(r.URL.Query().Get("xmlcontrol"), "Workbox") {
			return workboxPage, true
		}
		return contentEditorPage, true
	}
	return 0, false
}

// sheerCommand is one client command of a Sheer UI response.
type sheerCommand struct {
	Command  string `json:"command"`
	Value    string `json:"value"`
	Response string `json:"response,omitempty"`
}

// pipelineStage is the dialog a pending client pipeline waits for.
type pipelineStage int

const (
	// awaitingSave waits for the result of CheckModified.
	awaitingSave pipelineStage = iota
	// awaitingComment waits for the workflow comment dialog.
	awaitingComment
)

// sheerTarget is one workflow command on one item version as a message
// names it, unresolved.
type sheerTarget struct {
	itemID   string
	language string
	version  string
	command  string

	// datasources is set when the command runs on the data-source items
	// of the page's renderings too, after the page.
	datasources bool
}

// sheerPipeline is a client pipeline that waits for a dialog result.
type sheerPipeline struct {
	page          sheerPage
	target        sheerTarget
	stage         pipelineStage
	commentNeeded bool

	// children is set when a delete removes the target's children, not
	// the target.
	children bool

	// fromTemplate is set when a create's dialog chooses the template
	// too, posting "<template>,<name>".
	fromTemplate bool
}

// sheerRequest is the postback being served, with its user and session.
type sheerRequest struct {
	w       http.ResponseWriter
	r       *http.Request
	page    sheerPage
	user    string
	session string
}

// PendingPipelines returns how many client pipelines of Sheer UI postbacks
// wait for a dialog result, over all sessions.
func (e *Emulator) PendingPipelines() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pipelines)
}

// serveSheer serves a Sheer UI postback to page. The caller holds e.mu.
func (e *Emulator) serveSheer(w http.ResponseWriter, r *http.Request, body []byte, page sheerPage) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: this page accepts only Sheer UI postbacks, which are POST requests", http.StatusMethodNotAllowed)
		return
	}
	user, ok := e.user(r, true)
	if !ok {
		http.Error(w, "unauthorized: the .AspNet.Cookies cookie is missing or its token is not in Options.Tokens", http.StatusUnauthorized)
		return
	}
	postback, err := sheerui.ParsePostback(body)
	if err != nil {
		http.Error(w, "invalid postback: "+err.Error(), http.StatusBadRequest)
		return
	}
	req := &sheerRequest{w: w, r: r, page: page, user: user, session: sheerSession(r)}

	if postback.IsContinuation() {
		e.resumePipeline(req, postback.Pipeline, postback.Result, false)
		return
	}
	msg, err := postback.Message()
	if err != nil {
		http.Error(w, "invalid __PARAMETERS message: "+err.Error(), http.StatusBadRequest)
		return
	}
	if msg == nil {
		writeSheer(w)
		return
	}
	modified := postback.Form.Get("__MODIFIED") != ""

	switch name := strings.ToLower(msg.Name); {
	case name == "item:workflow", name == "webedit:workflowwithdatasourceitems":
		target := sheerTarget{itemID: msg.Get("id"), language: msg.Get("language"), version: msg.Get("version"), command: msg.Get("commandid"),
			datasources: name == "webedit:workflowwithdatasourceitems"}
		e.startWorkflowCommand(req, target, msg.Get("ui") == "1" || msg.Get("suppresscomment") == "1", modified)
	case name == "item:save":
		// A "yes" to CheckModified posts item:save with a postaction that
		// resumes the pipeline. The emulator does not save FIELD<n> values.
		if id, ok := msg.PipelineID(); ok {
			e.resumePipeline(req, id, "yes", true)
			return
		}
		if page == contentEditorPage {
			e.saveContextItem(req, contextTarget(msg, postback))
			return
		}
		writeSheer(w)
	case page == contentEditorPage && name == "contenteditor:save":
		e.saveContextItem(req, contextTarget(msg, postback))
	case page == contentEditorPage && name == "item:delete":
		e.startItemDelete(req, contextTarget(msg, postback), false)
	case page == contentEditorPage && name == "item:deletechildren":
		e.startItemDelete(req, contextTarget(msg, postback), true)
	case page == contentEditorPage && name == "item:rename":
		e.startItemRename(req, contextTarget(msg, postback))
	case page == contentEditorPage && name == "item:duplicate":
		e.startItemDuplicate(req, contextTarget(msg, postback))
	case page == contentEditorPage && name == "item:moveto":
		e.startItemMoveTo(req, contextTarget(msg, postback))
	case page == contentEditorPage && name == "item:copyto":
		e.startItemCopyTo(req, contextTarget(msg, postback))
	case page == contentEditorPage && (name == "item:moveup" || name == "item:movedown" || name == "item:movefirst" || name == "item:movelast"):
		e.sortItem(req, contextTarget(msg, postback), strings.TrimPrefix(name, "item:move"))
	case page == contentEditorPage && name == "item:addversion":
		e.addVersionToItem(req, contextTarget(msg, postback))
	case page == contentEditorPage && name == "item:deleteversion":
		e.startItemDeleteVersion(req, deleteVersionTarget(msg, postback))
	case page == contentEditorPage && (name == "item:addmaster" || name == "item:new"):
		e.startItemCreate(req, createTarget(msg, postback), false)
	case page == contentEditorPage && name == "item:addfromtemplate":
		e.startItemCreate(req, createTarget(msg, postback), true)
	case page == workboxPage && name == "workflow:send":
		target := sheerTarget{itemID: msg.Get("id"), language: msg.Get("la"), version: msg.Get("vs"), command: msg.Get("command")}
		e.startWorkflowCommand(req, target, msg.Get("ui") == "1" || msg.Get("suppresscomment") == "1", false)
	case page == workboxPage && name == "workflow:sendselected":
		var targets []sheerTarget
		for _, sel := range postback.SelectedItems() {
			targets = append(targets, sheerTarget{itemID: sel.ID, language: sel.Language, version: sel.Version, command: msg.Get("command")})
		}
		e.sendBulk(req, msg.Get("wf"), msg.Get("ws"), msg.Get("command"), targets, false)
	case page == workboxPage && name == "workflow:sendall":
		e.sendBulk(req, msg.Get("wf"), msg.Get("ws"), msg.Get("command"), nil, true)
	default:
		// Other messages, such as item:refresh or LoadItem, change nothing here.
		writeSheer(w)
	}
}

// sheerSession names the session that owns client pipelines: the
// credential the request authenticated with.
func sheerSession(r *http.Request) string {
	if c, err := r.Cookie(".AspNet.Cookies"); err == nil {
		return "cookie " + c.Value
	}
	return "header " + r.Header.Get("Authorization")
}

func pipelineKey(session, id string) string {
	return session + "\x00" + id
}

// startWorkflowCommand handles item:workflow and workflow:send. It runs the
// command now, or starts a client pipeline with the save question (Content
// Editor only) and the comment dialog.
func (e *Emulator) startWorkflowCommand(req *sheerRequest, target sheerTarget, noComment, modified bool) {
	it, lang, v, ok := e.resolveSheerTarget(target)
	if !ok {
		// Sitecore's Workflow command sends no commands when the item
		// version does not exist.
		writeSheer(req.w)
		return
	}
	if !e.commandOffered(it, v, target.command) {
		e.writeStateChanged(req)
		return
	}

	pipeline := &sheerPipeline{page: req.page, target: target, commentNeeded: !noComment}
	switch {
	case req.page == contentEditorPage && modified:
		pipeline.stage = awaitingSave
		id := e.addPipeline(req.session, pipeline)
		// NOTE: the members of the CheckModified command are a guess, because
		// the emulator has no recorded Sitecore response with one.
		writeSheer(req.w,
			sheerCommand{Command: "SetPipeline", Value: id},
			sheerCommand{Command: "CheckModified", Value: sheerSaveFirst, Response: "true"})
	case noComment:
		e.runSheerCommand(req, target, it, lang, v, "")
	default:
		pipeline.stage = awaitingComment
		id := e.addPipeline(req.session, pipeline)
		writeSheer(req.w, commentDialog(id)...)
	}
}

// resumePipeline continues the client pipeline id of the request's session
// with a dialog result. viaSave marks a resumption by
// item:save(postaction=pipeline:resume(...)), the "yes" to CheckModified.
func (e *Emulator) resumePipeline(req *sheerRequest, id, result string, viaSave bool) {
	key := pipelineKey(req.session, id)
	pipeline := e.pipelines[key]
	if pipeline == nil || (viaSave && pipeline.stage != awaitingSave) {
		writeSheer(req.w)
		return
	}
	req.page = pipeline.page
	target := pipeline.target

	switch pipeline.stage {
	case awaitingSave:
		if result == "cancel" {
			delete(e.pipelines, key)
			writeSheer(req.w)
			return
		}
		it, lang, v, ok := e.resolveSheerTarget(target)
		if !ok || !e.commandOffered(it, v, target.command) {
			delete(e.pipelines, key)
			e.writeStateChanged(req)
			return
		}
		if !pipeline.commentNeeded {
			delete(e.pipelines, key)
			e.runSheerCommand(req, target, it, lang, v, "")
			return
		}
		pipeline.stage = awaitingComment
		writeSheer(req.w, commentDialog(id)...)

	case awaitingComment:
		switch result {
		case "null", "undefined", "cancel":
			delete(e.pipelines, key)
			writeSheer(req.w)
			return
		}
		it, lang, v, ok := e.resolveSheerTarget(target)
		if !ok || !e.commandOffered(it, v, target.command) {
			delete(e.pipelines, key)
			e.writeStateChanged(req)
			return
		}
		if req.page == workboxPage && len([]rune(result)) > sheerCommentMaxLength {
			// The Workbox reopens the dialog; the pipeline keeps waiting.
			alert := sheerCommand{Command: "Alert", Value: fmt.Sprintf("The comment is too long.\n\nYou have entered %d characters.\nA comment cannot contain more than %d characters.", len([]rune(result)), sheerCommentMaxLength)}
			writeSheer(req.w, append([]sheerCommand{alert}, commentDialog(id)...)...)
			return
		}
		delete(e.pipelines, key)
		e.runSheerCommand(req, target, it, lang, v, result)

	case awaitingDeleteConfirm, awaitingNewName, awaitingSaveConfirm,
		awaitingDuplicateName, awaitingMoveTarget, awaitingCopyTarget, awaitingDeleteVersionConfirm:
		e.resumeItemPipeline(req, key, id, pipeline, result)
	case awaitingCreateName:
		e.resumeItemCreate(req, key, id, pipeline, result)
	}
}

// sendBulk handles workflow:sendselected (targets) and workflow:sendall
// (all, every version in state ws). Each item version in state ws whose
// state offers the command moves on, and each other one adds an alert, so a
// request can partly succeed.
//
// NOTE: the per-item alerts are the emulator's. WorkboxForm instead skips
// items outside ws silently, reads the latest version and shows one alert.
func (e *Emulator) sendBulk(req *sheerRequest, wfParam, wsParam, command string, targets []sheerTarget, all bool) {
	wf := e.sheerWorkflow(wfParam)
	if wf == nil {
		// The Workbox does nothing for an unknown workflow.
		writeSheer(req.w)
		return
	}
	wsID, wsErr := parseID(wsParam)
	if all && wsErr == nil {
		targets = e.versionsInState(wf, wsID, command)
	}
	if len(targets) == 0 {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: sheerNoSelection}, e.refreshCommand(req))
		return
	}

	var commands []sheerCommand
	for _, t := range targets {
		if reason := e.sendOne(req, wf, wsID, wsErr == nil, t); reason != "" {
			commands = append(commands, sheerCommand{Command: "Alert", Value: fmt.Sprintf("The item %s (%s, version %s) was not processed: %s", t.itemID, t.language, t.version, reason)})
		}
	}
	writeSheer(req.w, append(commands, e.refreshCommand(req))...)
}

// sendOne runs one item version of a bulk command and returns why it did
// not run, or "" when it ran.
func (e *Emulator) sendOne(req *sheerRequest, wf *workflow, wsID uuid.UUID, wsValid bool, t sheerTarget) string {
	it, lang, v, ok := e.resolveSheerTarget(t)
	if !ok {
		return "the item version does not exist."
	}
	if e.store.itemWorkflow(it) != wf {
		return fmt.Sprintf("the item is not in workflow %q.", wf.name)
	}
	_, state := e.store.versionState(it, v)
	if !wsValid || state == nil || state.id != wsID {
		return "the item is no longer in the workflow state of the command."
	}
	commandID, err := parseID(t.command)
	if err != nil {
		return "the command is not a valid ID."
	}
	result := e.store.executeCommand(it, lang, v, commandID, "", req.user)
	if !result.succeeded {
		return result.message
	}
	return ""
}

// versionsInState lists, in tree order, every item version of workflow wf
// in state ws, as the Workbox's sendall takes them.
func (e *Emulator) versionsInState(wf *workflow, wsID uuid.UUID, command string) []sheerTarget {
	var out []sheerTarget
	e.store.walk(func(x indexedVersion) {
		if w, state := e.store.versionState(x.it, x.v); w == wf && state != nil && state.id == wsID {
			out = append(out, sheerTarget{itemID: braced(x.it.id), language: x.lang, version: strconv.Itoa(x.v.number), command: command})
		}
	})
	return out
}

// runSheerCommand runs a workflow command whose state check passed. It
// responds with a refresh, or with an alert when the command fails.
func (e *Emulator) runSheerCommand(req *sheerRequest, target sheerTarget, it *item, lang string, v *itemVersion, comments string) {
	commandID, err := parseID(target.command)
	if err != nil {
		e.writeStateChanged(req)
		return
	}
	result := e.store.executeCommand(it, lang, v, commandID, comments, req.user)
	if !result.succeeded {
		writeSheer(req.w, sheerCommand{Command: "Alert", Value: result.message}, e.refreshCommand(req))
		return
	}
	if target.datasources {
		e.runOnDatasources(it, lang, v, commandID, comments, req.user)
	}
	writeSheer(req.w, e.refreshCommand(req))
}

// writeStateChanged responds to a command that the item's current state
// lacks: an alert, then a refresh, and no change.
func (e *Emulator) writeStateChanged(req *sheerRequest) {
	writeSheer(req.w, sheerCommand{Command: "Alert", Value: sheerStateChanged}, e.refreshCommand(req))
}

// refreshCommand reloads the page: item:refresh in the Content Editor, and
// in the Workbox its own URL with reload=1, as WorkboxForm.Refresh does.
func (e *Emulator) refreshCommand(req *sheerRequest) sheerCommand {
	if req.page == workboxPage {
		query := req.r.URL.Query()
		query.Set("reload", "1")
		target := url.URL{Path: req.r.URL.Path, RawQuery: query.Encode()}
		return sheerCommand{Command: "SetLocation", Value: target.String()}
	}
	return sheerCommand{Command: "Eval", Value: sheerRefreshEval}
}

// resolveSheerTarget finds the item version a message names. An empty
// language selects en, and an empty version the latest.
func (e *Emulator) resolveSheerTarget(t sheerTarget) (*item, string, *itemVersion, bool) {
	id, err := parseID(t.itemID)
	if err != nil {
		return nil, "", nil, false
	}
	it := e.store.items[id]
	if it == nil {
		return nil, "", nil, false
	}
	lang, err := e.store.language(t.language)
	if err != nil {
		return nil, "", nil, false
	}
	number := 0
	if t.version != "" {
		number, err = strconv.Atoi(t.version)
		if err != nil || number < 1 {
			return nil, "", nil, false
		}
	}
	v := it.version(lang, number)
	if v == nil {
		return nil, "", nil, false
	}
	return it, lang, v, true
}

// commandOffered reports whether the current state of version v offers
// the command, as Sitecore's Workflow.CheckCommandValidity tests.
func (e *Emulator) commandOffered(it *item, v *itemVersion, command string) bool {
	commandID, err := parseID(command)
	if err != nil {
		return false
	}
	wf, state := e.store.versionState(it, v)
	if state == nil {
		return false
	}
	for _, c := range wf.commands {
		if c.id == commandID && c.from == state {
			return true
		}
	}
	return false
}

func (e *Emulator) sheerWorkflow(id string) *workflow {
	wfID, err := parseID(id)
	if err != nil {
		return nil
	}
	for _, wf := range e.store.workflows {
		if wf.id == wfID {
			return wf
		}
	}
	return nil
}

// addPipeline remembers a pending pipeline of session under a new ID of
// 32 hex digits and returns the ID.
func (e *Emulator) addPipeline(session string, p *sheerPipeline) string {
	if e.pipelines == nil {
		e.pipelines = map[string]*sheerPipeline{}
	}
	id := formatGUID(uuid.New(), "N")
	e.pipelines[pipelineKey(session, id)] = p
	return id
}

func commentDialog(pipelineID string) []sheerCommand {
	return []sheerCommand{
		{Command: "SetPipeline", Value: pipelineID},
		{Command: "ShowModalDialog", Value: sheerCommentDialog, Response: "true"},
	}
}

// writeSheer writes a 200 Sheer UI response, {"commands":[...]}, as
// text/plain without a trailing newline.
func writeSheer(w http.ResponseWriter, commands ...sheerCommand) {
	if commands == nil {
		commands = []sheerCommand{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Commands []sheerCommand `json:"commands"`
	}{commands}); err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
