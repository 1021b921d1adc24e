package sitecore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// Workflow commands of Sitecore's classic editors (the Content Editor, the
// Workbox and the Experience Editor's ribbon) arrive as Sheer UI postbacks
// under /sitecore/shell/. A command that needs the editor's comment runs in
// two requests: the first one opens the comment dialog and starts a client
// pipeline, whose id only the response carries (SetPipeline), and the
// continuation that posts the comment (__RESULT) and the pipeline id
// (__PIPELINE) runs the command. The classifier tracks such a flow per
// editor session and validates the request that runs the command, with the
// comment.

// workflowMessages maps the names of the built-in messages that run a
// workflow command, in lower case, to the names of their parameters.
// Config.WorkflowMessages adds more.
var workflowMessages = map[string]workflowKeys{
	"item:workflow":                       {id: "id", language: "language", version: "version", command: "commandid", checksModified: true},
	"webedit:workflowwithdatasourceitems": {id: "id", language: "language", version: "version", command: "commandid", checksModified: true, datasources: true},
	"workflow:send":                       {id: "id", language: "la", version: "vs", command: "command"},
	"workflow:sendselected":               {command: "command", selected: true},
	"workflow:sendall":                    {command: "command", all: true},
}

// workflowKeys names the parameters of a workflow command message.
type workflowKeys struct {
	id, language, version, command string

	// checksModified is set for the Content Editor's messages, which ask
	// to save unsaved edits (a dialog) before they run the command.
	checksModified bool

	// datasources is set for the Experience Editor's command, which runs
	// on the page's data-source items too.
	datasources bool

	// selected and all are the Workbox's bulk commands: the items ticked,
	// or every item in the state of the ws parameter, which the request
	// does not list.
	selected, all bool
}

// itemMessages maps the Content Editor's messages that change an item, in
// lower case, to their events and to what the continuation of their
// dialog posts, if they have one.
var itemMessages = map[string]itemMessage{
	"item:save":            {events: []string{dispatch.EventItemSaved}},
	"contenteditor:save":   {events: []string{dispatch.EventItemSaved}},
	"item:delete":          {events: []string{dispatch.EventItemDeleting, dispatch.EventItemDeleted}, result: resultConfirm},
	"item:deletechildren":  {events: []string{dispatch.EventItemDeleting, dispatch.EventItemDeleted}, result: resultConfirm, children: true},
	"item:rename":          {events: []string{dispatch.EventItemRenamed}, result: resultName},
	"item:deleteversion":   {events: []string{dispatch.EventItemVersionRemoved}, result: resultConfirm},
	"item:addversion":      {events: []string{dispatch.EventItemVersionAdded}, newVersion: true},
	"item:moveup":          {events: []string{dispatch.EventItemSortOrderChanged}},
	"item:movedown":        {events: []string{dispatch.EventItemSortOrderChanged}},
	"item:movefirst":       {events: []string{dispatch.EventItemSortOrderChanged}},
	"item:movelast":        {events: []string{dispatch.EventItemSortOrderChanged}},
	"item:moveto":          {events: []string{dispatch.EventItemMoved}, result: resultTarget},
	"item:duplicate":       {events: []string{dispatch.EventItemCopied}, result: resultName, copy: true},
	"item:copyto":          {events: []string{dispatch.EventItemCopied}, result: resultTarget, copy: true},
	"item:addmaster":       {events: []string{dispatch.EventItemAdded}, result: resultName, create: true},
	"item:new":             {events: []string{dispatch.EventItemAdded}, result: resultName, create: true},
	"item:addfromtemplate": {events: []string{dispatch.EventItemAdded}, result: resultTemplateName, create: true},
}

// itemMessage describes a Content Editor message that changes an item.
type itemMessage struct {
	events []string

	// result is what the continuation's __RESULT carries when the message
	// runs after a dialog: a confirmation ("yes"), a name, or the id of a
	// target item. Without one, the message runs in its own request.
	result string

	// copy is set when the message creates a copy: the operation's item
	// is the copy, and the event's Source the item the message names. The
	// copy's id is in neither the request nor the response, so it stays
	// unknown.
	copy bool

	// create is set when the message creates an item below the one it
	// names, from the template or branch in its master parameter. The new
	// item's id stays unknown, as for a copy.
	create bool

	// newVersion is set when the message adds a version to the item, as
	// a copy of the version it names. The new version's number is in
	// neither request nor response, so it stays 0 (unknown) unless an
	// enrichment reads the item's latest version.
	newVersion bool

	// children is set when the message acts on the children of the item
	// it names, which the request does not list: they are read from the
	// CMS before forwarding.
	children bool
}

const (
	resultConfirm = "confirm"
	resultName    = "name"
	resultTarget  = "target"

	// resultTemplateName is "<template>,<name>", split at the first
	// comma, as Sitecore's uiAddFromTemplate reads it.
	resultTemplateName = "template,name"
)

// defaultSessionCookies identify an editor's session, so that a
// continuation is matched with the flow of the same editor.
var defaultSessionCookies = []string{".AspNet.Cookies", "ASP.NET_SessionId", ".ASPXAUTH"}

// sessionOf returns the editor session of a request.
func (c *Classifier) sessionOf(r *http.Request) editorSession {
	session := editorSession{host: r.Host, cookies: map[string]string{}}
	for _, name := range c.cfg.SessionCookies {
		if cookie, err := r.Cookie(name); err == nil && cookie.Value != "" {
			session.cookies[name] = cookie.Value
		}
	}
	return session
}

// classifyShell reads a Sheer UI postback that runs, or prepares, a
// workflow command.
func (c *Classifier) classifyShell(r *http.Request, body []byte) []*dispatch.Operation {
	fields, readable := formBody(r, body)
	if !readable {
		if mentionsPostbackFields(body) {
			// ASP.NET may still read the fields of a multipart body
			// that Go's reader cannot, so the command could run
			// unchecked.
			return []*dispatch.Operation{refused("a multipart postback could not be read")}
		}
		return nil
	}
	pb, err := ParsePostback(fields)
	if err != nil {
		return nil
	}
	session := c.sessionOf(r)

	if !pb.IsContinuation() {
		return c.classifyMessage(pb, session)
	}
	ops := c.resume(session, pb.Pipeline, pb.Result)
	if pb.Parameters == "" {
		return ops
	}
	// The editors' browsers never post a message with a continuation.
	// Which of the two Sitecore would run is not known, so when both
	// would change something, the request is refused.
	message := c.classifyMessage(pb, session)
	if len(ops) > 0 && len(message) > 0 {
		return append(ops, refused("a dialog result that also carries a message is ambiguous"))
	}
	return append(ops, message...)
}

// classifyMessage reads the message of a postback that is not a
// continuation, or not only one.
func (c *Classifier) classifyMessage(pb *Postback, session editorSession) []*dispatch.Operation {
	m, err := pb.Message()
	if err != nil {
		var syntax *MessageSyntaxError
		if errors.As(err, &syntax) {
			if _, known := c.messages[strings.ToLower(syntax.Name)]; known {
				// A workflow command that cannot be read cannot be
				// validated, so it is not forwarded.
				return []*dispatch.Operation{refused("workflow command message " + syntax.Name + " could not be read: " + syntax.Reason)}
			}
		}
		return nil
	}
	if m == nil {
		return nil
	}
	if im, ok := itemMessages[strings.ToLower(m.Name)]; ok {
		return c.itemOperation(pb, m, im, session)
	}
	keys, ok := c.messages[strings.ToLower(m.Name)]
	if !ok {
		return nil
	}

	command := m.Get(keys.command)
	// Sitecore tests both flags for "1". Surrounding spaces are ignored,
	// so that a command predicted to run at once is validated at once.
	uncommented := strings.TrimSpace(m.Get("ui")) == "1" || strings.TrimSpace(m.Get("suppresscomment")) == "1"
	runsNow := uncommented
	if keys.checksModified && pb.Modified {
		runsNow = false
	}

	var items []dispatch.Item
	var fromState string
	switch {
	case keys.all:
		return []*dispatch.Operation{c.sendAll(command, m.Get("ws"), session, c.cfg.WorkboxBulkComment && !uncommented)}
	case keys.selected:
		for _, s := range pb.SelectedItems() {
			items = append(items, shellItem(s.ID, s.Language, s.Version))
		}
		// The Workbox runs the command only on items still in the
		// state ws, so that is the state they leave.
		fromState = normalizeID(m.Get("ws"))
		// With the single comment for bulk commands, the Workbox prompts
		// for it unless the message's ui or suppresscomment is 1.
		runsNow = !c.cfg.WorkboxBulkComment || uncommented
	default:
		items = append(items, shellItem(m.Get(keys.id), m.Get(keys.language), m.Get(keys.version)))
	}

	var ops []*dispatch.Operation
	for _, it := range items {
		op := shellOp(command, it, session)
		if keys.selected {
			op.Detail.(*detail).commentNeeded = c.cfg.WorkboxBulkComment && !uncommented
		} else {
			op.Detail.(*detail).commentNeeded = !uncommented
		}
		if keys.selected {
			// The state read replaces ws, so that an item that has left
			// ws is neither validated nor, after an alert, fired.
			op.StatusChange.FromState = fromState
			op.Lookups = append(op.Lookups, c.stateRead(it))
		}
		if keys.datasources && c.cfg.DatasourceItems {
			op.Lookups = append(op.Lookups, c.datasourcesRead(it, runsNow))
		}
		if !runsNow {
			c.hold(op)
		}
		ops = append(ops, op)
	}
	return ops
}

// hold marks a workflow command whose request only opens a dialog: the
// command runs in a continuation, so this request fires nothing. It is
// validated in the continuation, or, with ValidateOnFirstRequest, here.
func (c *Classifier) hold(op *dispatch.Operation) {
	d := op.Detail.(*detail)
	d.opensDialog = true
	if c.cfg.ValidateOnFirstRequest || d.validatedEarly {
		// The status change stays, so the handler validates it now;
		// the continuation then runs it without validating again.
		d.validatedEarly = true
		return
	}
	d.pendingChange = op.StatusChange
	op.StatusChange = nil
}

// itemOperation reads a Content Editor message that changes an item: the
// one its id parameter names, else the editor's context item. A message
// that opens a dialog runs in the continuation, which the response's
// SetPipeline lets the classifier follow.
func (c *Classifier) itemOperation(pb *Postback, m *Message, im itemMessage, session editorSession) []*dispatch.Operation {
	id, resumes := m.PipelineID()
	if resumes && !strings.EqualFold(m.Name, "item:save") {
		// Only item:save is known to resume a pipeline.
		return nil
	}
	var it dispatch.Item
	if id := m.Get("id"); id != "" {
		it = shellItem(id, m.Get("language"), m.Get("version"))
	} else if uri, err := ParseItemURI(pb.CurrentItem); err == nil {
		it = shellItem(uri.ID, uri.Language, uri.Version)
	} else {
		return nil
	}
	if im.create {
		it = dispatch.Item{ParentID: it.ID, Language: it.Language, TemplateID: normalizeID(m.Get("master"))}
	}
	if im.newVersion {
		it.Version = 0
	}
	op := &dispatch.Operation{Item: it, Detail: &detail{api: apiShell, mutation: m.Name, batch: -1, session: session, dialogResult: im.result}}
	for _, e := range im.events {
		ev := dispatch.Event{Name: e}
		if im.copy {
			source := it
			ev.Source = &source
			op.Item = dispatch.Item{Language: it.Language}
		}
		op.AddEvent(ev)
	}
	if im.result != "" {
		op.Detail.(*detail).opensDialog = true
	}
	if im.children {
		// The item itself stays, so only its children, once read, fire.
		op.Events = nil
		op.Lookups = append(op.Lookups, c.childrenRead(it, im))
	}
	if resumes {
		// item:save(postaction=pipeline:resume(pipelineId=...)) is the
		// "yes" to the question whether to save first: it saves, then
		// resumes the tracked command in the same request.
		op.Detail.(*detail).runsHere = true
		return append(c.resume(session, id, "yes"), op)
	}
	return []*dispatch.Operation{op}
}

func shellItem(id, language, version string) dispatch.Item {
	v, _ := strconv.Atoi(version)
	return dispatch.Item{ID: normalizeID(id), Language: language, Version: v}
}

func shellOp(command string, it dispatch.Item, session editorSession) *dispatch.Operation {
	return &dispatch.Operation{
		Item:         it,
		StatusChange: &dispatch.StatusChange{CommandID: command},
		Detail:       &detail{api: apiShell, batch: -1, session: session},
	}
}

// refused returns an operation that the handler rejects without forwarding.
func refused(reason string) *dispatch.Operation {
	return &dispatch.Operation{Refuse: reason, Detail: &detail{api: apiShell, batch: -1}}
}

// completeShell reads the response to a postback. Sitecore refuses a
// command with an Alert inside a 200, so a command succeeded when the
// response is a 200 without an Alert and without a new dialog. A response
// that starts a client pipeline tracks the command for its continuation.
func (c *Classifier) completeShell(ops []*dispatch.Operation, status int, body []byte) {
	if status != http.StatusOK {
		c.settle(ops, false, false)
		return
	}
	resp, err := ParseResponse(body)
	readable := err == nil
	if readable {
		if id, ok := resp.Pipeline(); ok {
			// The flow goes on under the response's pipeline: it is
			// tracked before the continuation's flow ends, so that no
			// moment leaves the pipeline untracked.
			c.track(ops, id, resp)
			c.settle(ops, true, false)
			return
		}
	}
	// Sitecore's workflow command responds with no commands at all when
	// it runs nothing, as for an item version deleted meanwhile. When it
	// runs, the response at least refreshes the editor.
	ranNothing := readable && len(resp.Commands) == 0
	// Sitecore ends a pipeline on its continuation's response, an alert
	// included. A response that cannot be read may not have reached it,
	// so the flow waits again.
	c.settle(ops, readable, ranNothing)
	if !readable {
		// The response does not show whether the command ran or opened
		// the dialog that the continuation would be matched with.
		for _, op := range ops {
			if d := op.Detail.(*detail); heldForDialog(d) {
				op.Unchecked = !d.validatedEarly
				unhold(op)
			}
		}
		return
	}
	// A dialog without a pipeline to continue, such as the result of
	// the workflow's own Validation Action, refuses the command as an
	// alert does.
	alerted := len(resp.Alerts()) > 0 || len(resp.Dialogs()) > 0
	for _, op := range ops {
		d := op.Detail.(*detail)
		if changeOf(op) != nil && ranNothing {
			continue
		}
		if heldForDialog(d) {
			// The request was to open the comment dialog, but the
			// response opened none: the command ran, as a 200 without an
			// alert and without a dialog shows, or was refused. Unless it
			// was validated on this request, it ran unvalidated.
			op.Unchecked = !d.validatedEarly && !alerted
			unhold(op)
			d.opensDialog = false
		}
		if d.opensDialog || (op.StatusChange == nil && len(op.Events) == 0) {
			continue
		}
		if op.StatusChange != nil && op.Item.ID == "" && op.Item.Path == "" {
			// A command on items that could not be read, such as a
			// "send all" whose search failed, names no item to fire
			// for.
			continue
		}
		switch {
		case op.StatusChange != nil && (d.readsOutcome || alerted):
			// A data source or an item of "send all" runs the command
			// only where Sitecore finds it fit, and an alert refuses the
			// command, or in a bulk command some of its items, naming
			// none. So an item whose state was read before forwarding is
			// read again, and fires when it has moved on.
			if d.stateRead {
				op.Confirm = append(op.Confirm, c.movedRead(op))
			}
		case !alerted:
			op.Succeeded = true
		}
	}
}

// heldForDialog reports whether a workflow command was held for the
// dialog that its request was to open.
func heldForDialog(d *detail) bool {
	return d.pendingChange != nil || (d.validatedEarly && d.opensDialog)
}

// unhold puts a held command's status change back on its operation.
func unhold(op *dispatch.Operation) {
	op.StatusChange, op.Detail.(*detail).pendingChange = changeOf(op), nil
}

// rejectShell returns the response to a blocked postback: 409 with a short
// plain text, which the Sheer UI client shows in its error dialog.
func rejectShell(status int, message string) (int, string, []byte) {
	return status, "text/plain; charset=utf-8", []byte(escapeText(message))
}

// textEscaper escapes the three characters that HTML reads as markup in
// text. Quotes matter only in attributes, so they stay as they are. The
// editors' clients may show a message as HTML or as text, and it reads the
// same in both unless it contains &, < or >.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeText(message string) string { return textEscaper.Replace(message) }

// formBody returns a postback's fields form-encoded. The Sheer UI client
// posts form-encoded bodies, but ASP.NET reads a multipart form's fields
// as well, so their text fields are read too, taken as sent. File parts
// are skipped, unless they carry a field that a postback reads. readable is
// false for a multipart body that cannot be read in full, which ASP.NET,
// more lenient, may still read.
func formBody(r *http.Request, body []byte) (fields []byte, readable bool) {
	if !isMultipart(r) {
		return body, true
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, false
	}
	reader := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var b strings.Builder
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			return []byte(b.String()), true
		}
		if err != nil {
			return nil, false
		}
		name := part.FormName()
		if name == "" {
			// A Content-Disposition that Go cannot read.
			return nil, false
		}
		if part.FileName() != "" && !postbackFields[name] {
			continue
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return nil, false
		}
		// %-escapes that escape() and encodeURIComponent() both decode;
		// a space must not become "+", which escape() keeps.
		fmt.Fprintf(&b, "&%s=%s", strings.ReplaceAll(url.QueryEscape(name), "+", "%20"), strings.ReplaceAll(url.QueryEscape(string(value)), "+", "%20"))
	}
}

// postbackFields are the fields that make a form a postback of a command or
// a dialog result.
var postbackFields = map[string]bool{"__PARAMETERS": true, "__PIPELINE": true, "__RESULT": true}

// mentionsPostbackFields reports whether a body names a postback's command
// or dialog fields anywhere.
func mentionsPostbackFields(body []byte) bool {
	lower := bytes.ToLower(body)
	return bytes.Contains(lower, []byte("__parameters")) || bytes.Contains(lower, []byte("__pipeline"))
}

// isMultipart reports whether a request's body is a multipart form, as
// the Media Library's uploads are, by the start of its media type, as
// leniently as ASP.NET reads it.
func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type"))), "multipart/")
}
