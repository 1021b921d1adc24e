package sitecore

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// A classic editor's command that prompts the editor first runs as a
// client pipeline. The response with the prompt carries the pipeline's id
// (SetPipeline) and a dialog, and the browser posts the dialog result
// (__RESULT) with the id (__PIPELINE) in a continuation. A "yes" to "save
// first?" (CheckModified) is posted instead as
// item:save(postaction=pipeline:resume(pipelineId=...)). The classifier
// keeps each waiting command per editor session, with the dialog it waits
// for, and reads the result according to that dialog.

// defaultDialogTimeout bounds how long a flow waits for its continuation.
const defaultDialogTimeout = 30 * time.Minute

// inFlightLimit bounds how long a continuation is taken to be in progress.
// Its request ends well before, within the validation budget and the
// proxy's timeouts, unless it never reaches its end.
const inFlightLimit = 5 * time.Minute

// Dialogs tracks the classic editors' commands that wait for a dialog
// result, by pipeline id. Pipeline ids are unique, so one Dialogs may serve
// the classifiers of several configurations, and outlive a reload.
//
// Sitecore binds a pipeline to the editor's server session, so a flow is
// matched with the session cookies too. Sliding expiration may renew an
// authentication cookie while a dialog is open, though. So when only one
// flow has the id, it is taken even when no cookie matches, because
// passing a continuation unvalidated would be worse.
//
// A flow stays tracked while its continuation is served, marked in flight,
// and ends once the CMS has responded to the continuation. One that is
// blocked, refused or fails leaves it waiting, as Sitecore still waits.
// The same continuation posted again meanwhile is refused.
type Dialogs struct {
	mu      sync.Mutex
	pending map[string][]*trackedFlow
}

// trackedFlow is a command whose request opened a dialog.
type trackedFlow struct {
	id  string
	ops []*dispatch.Operation

	// session holds the values of the session cookies of the request
	// that opened the dialog.
	session editorSession

	// dialog is the client command of the prompt: CheckModified,
	// Confirm, Input or ShowModalDialog, or "" when the response named
	// none.
	dialog  string
	expires time.Time

	// inFlight is when a continuation took the flow; zero while it
	// waits. fallback is set when that continuation shares no session
	// cookie with the flow, as after a renewed cookie.
	inFlight time.Time
	fallback bool
}

// editorSession identifies the editor of a request: the site (the Host
// header) and the values of the session cookies, by name.
type editorSession struct {
	host    string
	cookies map[string]string
}

// sameSession reports whether two requests are to the same site and share
// a session cookie value.
func sameSession(a, b editorSession) bool {
	if !strings.EqualFold(a.host, b.host) {
		return false
	}
	for name, value := range a.cookies {
		if value != "" && b.cookies[name] == value {
			return true
		}
	}
	return false
}

func (p *Dialogs) put(flow *trackedFlow, ttl time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, flows := range p.pending {
		flows = slices.DeleteFunc(flows, func(t *trackedFlow) bool { return now.After(t.expires) })
		if len(flows) == 0 {
			delete(p.pending, k)
		} else {
			p.pending[k] = flows
		}
	}
	flow.expires = now.Add(ttl)
	flows := slices.DeleteFunc(p.pending[flow.id], func(t *trackedFlow) bool { return sameSession(t.session, flow.session) })
	p.pending[flow.id] = append(flows, flow)
}

// takeResult is the outcome of take.
type takeResult int

const (
	flowNotFound takeResult = iota
	flowTaken
	flowBusy
)

// take marks the flow of pipeline id for the session in flight and returns
// copies of its operations: the flow that shares a session cookie, or
// else the only one with that id. A flow already in flight is busy.
func (p *Dialogs) take(id string, session editorSession) (*trackedFlow, []*dispatch.Operation, takeResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	flows := p.pending[id]
	i := slices.IndexFunc(flows, func(t *trackedFlow) bool { return sameSession(t.session, session) })
	fallback := i < 0 && len(flows) == 1 && strings.EqualFold(flows[0].session.host, session.host)
	if fallback {
		i = 0
	}
	if i < 0 {
		return nil, nil, flowNotFound
	}
	flow := flows[i]
	now := time.Now()
	if now.After(flow.expires) {
		return nil, nil, flowNotFound
	}
	if !flow.inFlight.IsZero() && now.Sub(flow.inFlight) < inFlightLimit {
		return nil, nil, flowBusy
	}
	flow.inFlight, flow.fallback = now, fallback
	ops := make([]*dispatch.Operation, len(flow.ops))
	for j, op := range flow.ops {
		ops[j] = forFlow(op)
		ops[j].Detail.(*detail).flow = flow
	}
	return flow, ops, flowTaken
}

// finish ends a flow whose continuation ran.
func (p *Dialogs) finish(flow *trackedFlow) {
	p.mu.Lock()
	defer p.mu.Unlock()
	flows := slices.DeleteFunc(p.pending[flow.id], func(t *trackedFlow) bool { return t == flow })
	if len(flows) == 0 {
		delete(p.pending, flow.id)
	} else {
		p.pending[flow.id] = flows
	}
}

// release lets a flow whose continuation did not run wait again.
func (p *Dialogs) release(flow *trackedFlow) {
	p.mu.Lock()
	defer p.mu.Unlock()
	flow.inFlight = time.Time{}
}

// flowsOf returns the flows that operations continue, each once.
func flowsOf(ops []*dispatch.Operation) []*trackedFlow {
	var flows []*trackedFlow
	for _, op := range ops {
		if d, ok := op.Detail.(*detail); ok && d.flow != nil && !slices.Contains(flows, d.flow) {
			flows = append(flows, d.flow)
		}
	}
	return flows
}

// settle ends the flows that the operations continue when the CMS ran the
// continuation, and lets them wait again when it did not. A flow that a
// continuation without a shared session cookie took waits again too when
// the CMS responded with no commands at all, because that continuation may
// have come from another session, which Sitecore does not let resume the
// pipeline.
func (c *Classifier) settle(ops []*dispatch.Operation, ran, empty bool) {
	for _, flow := range flowsOf(ops) {
		if ran && !(empty && flow.fallback) {
			c.dialogs.finish(flow)
		} else {
			c.dialogs.release(flow)
		}
	}
}

// ending returns an operation that runs nothing but carries the flow that
// a cancelling continuation ends, so that the flow ends only once the CMS
// has seen the cancel, and waits again when the request is blocked or
// fails.
func ending(flow *trackedFlow) *dispatch.Operation {
	return &dispatch.Operation{Detail: &detail{api: apiShell, batch: -1, flow: flow}}
}

// resume returns the operations of the flow that a continuation of the
// session's pipeline continues, with the dialog result applied, or nil
// when the flow ends here or is not tracked.
func (c *Classifier) resume(session editorSession, pipeline, result string) []*dispatch.Operation {
	flow, ops, found := c.dialogs.take(pipeline, session)
	switch found {
	case flowNotFound:
		// An untracked continuation resumes something else.
		return nil
	case flowBusy:
		return []*dispatch.Operation{refused("the result of this dialog is already being processed")}
	}
	switch strings.ToLower(result) {
	case "cancel", "null", "undefined":
		// The editor cancelled the dialog, so nothing runs. An empty
		// result is not a cancel: Sitecore's workflow command runs with
		// an empty comment.
		return []*dispatch.Operation{ending(flow)}
	}
	yes := strings.EqualFold(result, "yes")

	switch flow.dialog {
	case "CheckModified", "Confirm":
		// A question, not the dialog that posts a name, a target or a
		// comment. After "save first?", with yes (saved) or no (not
		// saved), the flow goes on; after any other question, on yes
		// only. A command that needs a comment waits for its comment
		// dialog, so this request runs nothing of it yet.
		if flow.dialog == "Confirm" && !yes {
			return []*dispatch.Operation{ending(flow)}
		}
		for _, op := range ops {
			d := op.Detail.(*detail)
			d.session, d.opensDialog = session, false
			// Validated on an earlier request of the flow, or not: the
			// configuration may have changed since, and hold follows the
			// new one.
			validated := d.validatedEarly
			if op.StatusChange != nil && d.commentNeeded {
				c.hold(op)
			}
			op.Validated = validated
		}
		return ops
	}

	for _, op := range ops {
		d := op.Detail.(*detail)
		d.session, d.opensDialog = session, false
		op.Validated = d.validatedEarly
		switch d.dialogResult {
		case resultConfirm:
			if !yes {
				return []*dispatch.Operation{ending(flow)}
			}
		case resultName, resultTarget, resultTemplateName:
			if strings.TrimSpace(result) == "" {
				// Sitecore's item pipelines run nothing without a
				// name or a target.
				return []*dispatch.Operation{ending(flow)}
			}
			switch d.dialogResult {
			case resultName:
				op.Item.Name = result
			case resultTarget:
				op.Item.ParentID = normalizeID(result)
			default:
				template, name, _ := strings.Cut(result, ",")
				if id, err := dispatch.ParseGUID(template); err == nil {
					op.Item.TemplateID = id
				}
				op.Item.Name = name
			}
		default:
			if op.StatusChange == nil {
				// A save whose save pipeline asked a question, such as
				// whether to save despite a validation warning, saves on
				// "yes" only.
				if !yes {
					return []*dispatch.Operation{ending(flow)}
				}
				continue
			}
			op.Comments = result
		}
	}
	return ops
}

// track keeps the operations of a request whose response opened a dialog,
// under the pipeline id of the response, until the continuation. The save
// of an item:save that resumed a command ran in this request, unless the
// dialog is a question of its own save pipeline (such as whether to
// overwrite a newer version), which it then waits for. The flow keeps
// copies: the handler goes on reading this request's operations while the
// continuation may already be served.
func (c *Classifier) track(ops []*dispatch.Operation, pipeline string, resp *Response) {
	dialog := ""
	if dialogs := resp.Dialogs(); len(dialogs) > 0 {
		dialog = dialogs[len(dialogs)-1].Name
	}
	alerted := len(resp.Alerts()) > 0
	var waiting []*dispatch.Operation
	for _, op := range ops {
		if op.Detail.(*detail).runsHere && dialog != "Confirm" {
			op.Succeeded = !alerted
			continue
		}
		change := changeOf(op)
		// Operations that run nothing, such as a data source in no
		// workflow state, do not wait.
		if change == nil && len(op.Events) == 0 {
			continue
		}
		kept := forFlow(op)
		if change != nil {
			copied := *change
			kept.StatusChange = &copied
			kept.Detail.(*detail).pendingChange = nil
		}
		waiting = append(waiting, kept)
	}
	if len(waiting) == 0 {
		return
	}
	c.dialogs.put(&trackedFlow{id: pipeline, ops: waiting, session: waiting[0].Detail.(*detail).session, dialog: dialog}, time.Duration(c.cfg.DialogTimeout))
}

// forFlow returns a copy of an operation to keep in a flow, with a detail
// of its own and nothing that the handler filled for this request.
func forFlow(op *dispatch.Operation) *dispatch.Operation {
	kept := op.Clone()
	d := *op.Detail.(*detail)
	d.flow = nil
	kept.Detail = &d
	// The reads before forwarding ran on the first request; their
	// results are in the copy, and a continuation does not run them again.
	kept.Lookups, kept.Fanout, kept.Confirm, kept.Basic = nil, nil, nil, nil
	kept.Succeeded, kept.Validated, kept.Unchecked = false, false, false
	return kept
}
