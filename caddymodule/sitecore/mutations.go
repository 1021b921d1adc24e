package sitecore

import (
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// detail is the classifier's state of one operation between Classify and
// Complete.
type detail struct {
	api      api
	mutation string

	// key is the mutation's key in the GraphQL response, batch the request's
	// index in a batched array (-1 when the body was one object), and
	// batched whether the body was an array.
	key     string
	batch   int
	batched bool

	// result tells how a GraphQL response reports success: "item" (a
	// non-null result), "successful" or "completed" (that member is true).
	result string

	// fieldNames are the fields an update or create sets, by name.
	fieldNames []string

	// session, opensDialog and pendingChange follow a classic editor's
	// workflow command across its two requests: the editor's session, that
	// this request only opens the comment dialog, and the status change
	// held back until the command runs.
	session       editorSession
	opensDialog   bool
	pendingChange *dispatch.StatusChange

	// flow is the tracked flow whose continuation resumed this operation,
	// which ends or waits again once the outcome is known.
	flow *trackedFlow

	// commentNeeded is set for a workflow command that prompts for a
	// comment before it runs, and runsHere for a save that ran in the
	// request that resumed a command after "save first?".
	commentNeeded bool
	runsHere      bool

	// validatedEarly is set for a workflow command validated on the
	// request that opened its dialog (ValidateOnFirstRequest).
	validatedEarly bool

	// dialogResult names what a classic editor's continuation posts for
	// this operation: resultConfirm, resultName, or "" for a comment.
	dialogResult string

	// before and after are the item as an enrichment read it before and
	// after the write.
	before gjson.Result
	after  gjson.Result

	// parentPath and copyName are read before a Content Editor create
	// or copy: the path of the parent that the new item goes under, and
	// the name of the copy's source, which a copy keeps unless the
	// editor names it.
	parentPath string
	copyName   string

	// readsOutcome is set for a command that Sitecore may skip without
	// an alert on this item (a data source of an Experience Editor page,
	// an item of "send all"), so whether it ran is read after the
	// response.
	readsOutcome bool

	// stateRead is set when FromState was read from the CMS before
	// forwarding, rather than taken from the request.
	stateRead bool

	// inState collects the item versions that a search read for a
	// command on every item in a state, page by page.
	inState []inStateItem
}

// classifyGraphQL reads the mutations of a GraphQL request.
func (c *Classifier) classifyGraphQL(a api, body []byte) []*dispatch.Operation {
	reqs, batched, err := parseGraphQLBody(body)
	if err != nil {
		return nil
	}
	var ops []*dispatch.Operation
	for i, req := range reqs {
		batch := -1
		if batched {
			batch = i
		}
		calls, err := mutationCalls(req, batch)
		if err != nil {
			// The CMS rejects a document it cannot run with an error,
			// and nothing changes, so the request passes through.
			continue
		}
		for _, call := range calls {
			op := c.operationOf(a, call)
			if op == nil {
				continue
			}
			d := op.Detail.(*detail)
			d.api, d.key, d.batch, d.batched = a, call.key, call.batch, batched
			ops = append(ops, op)
		}
	}
	return ops
}

// operationOf maps one mutation onto an operation. The Authoring API and
// the Pages endpoint share mutation names but not argument names; the
// legacy endpoint takes its arguments directly, without an input object.
func (c *Classifier) operationOf(a api, call mutationCall) *dispatch.Operation {
	in := call.args
	if a != apiLegacy {
		in, _ = call.args["input"].(map[string]any)
		if in == nil {
			return nil
		}
	}
	d := &detail{mutation: call.name, result: "item"}
	op := &dispatch.Operation{Detail: d}
	it := &op.Item
	it.Language = str(in, "language")
	it.Version = integer(in, "version")

	switch a {
	case apiAuthoring:
		if !c.authoringOperation(call.name, in, op) {
			return nil
		}
	case apiPages:
		if !c.pagesOperation(call.name, in, op) {
			return nil
		}
	case apiLegacy:
		if !c.legacyOperation(call.name, in, op) {
			return nil
		}
	}
	return op
}

// target fills the item's id or path from itemId or path; the id wins when
// both are given, as in Sitecore.
func target(in map[string]any, idKey string, it *dispatch.Item) {
	if id := str(in, idKey); id != "" {
		it.ID = normalizeID(id)
		return
	}
	it.Path = str(in, "path")
}

func (c *Classifier) authoringOperation(name string, in map[string]any, op *dispatch.Operation) bool {
	d, it := op.Detail.(*detail), &op.Item
	switch name {
	case "createItem":
		it.Name = str(in, "name")
		it.TemplateID = normalizeID(str(in, "templateId"))
		it.ParentID = normalizeID(str(in, "parent"))
		d.fieldNames = fieldNames(in)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemAdded})
	case "updateItem":
		target(in, "itemId", it)
		d.fieldNames = fieldNames(in)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemSaved})
	case "deleteItem":
		target(in, "itemId", it)
		d.result = "successful"
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleting})
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleted})
	case "renameItem":
		target(in, "itemId", it)
		it.Name = str(in, "newName")
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemRenamed})
	case "moveItem":
		target(in, "itemId", it)
		it.ParentID = normalizeID(str(in, "targetParentId"))
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemMoved})
	case "copyItem":
		source := &dispatch.Item{Language: it.Language}
		target(in, "itemId", source)
		it.Name = str(in, "copyItemName")
		it.ParentID = normalizeID(str(in, "targetParentId"))
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemCopied, Source: source})
	case "addItemVersion":
		target(in, "itemId", it)
		// The version argument names the source version; the new
		// version's number is only in the response.
		it.Version = 0
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemVersionAdded})
	case "deleteItemVersion":
		target(in, "itemId", it)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemVersionRemoved})
	case "executeWorkflowCommand":
		item, _ := in["item"].(map[string]any)
		target(item, "itemId", it)
		it.Language = str(item, "language")
		it.Version = integer(item, "version")
		op.StatusChange = &dispatch.StatusChange{CommandID: str(in, "commandId")}
		op.Comments = str(in, "comments")
		d.result = "successful"
		op.Lookups = append(op.Lookups, c.stateRead(*it))
	default:
		return false
	}
	return true
}

func (c *Classifier) pagesOperation(name string, in map[string]any, op *dispatch.Operation) bool {
	d, it := op.Detail.(*detail), &op.Item
	switch name {
	case "executeWorkflowCommand":
		it.ID = normalizeID(str(in, "itemId"))
		it.Version = integer(in, "itemVersion")
		op.StatusChange = &dispatch.StatusChange{CommandID: str(in, "commandId")}
		op.Comments = str(in, "comments")
		d.result = "completed"
		op.Lookups = append(op.Lookups, c.stateRead(*it))
	case "renameItem":
		it.Path = str(in, "path")
		it.Name = str(in, "newName")
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemRenamed})
	case "moveItem":
		it.ID = normalizeID(str(in, "itemToMoveId"))
		it.ParentID = normalizeID(str(in, "targetId"))
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemMoved})
	case "addItemVersion":
		it.Path = str(in, "path")
		it.Version = 0
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemVersionAdded})
	default:
		return false
	}
	return true
}

func (c *Classifier) legacyOperation(name string, in map[string]any, op *dispatch.Operation) bool {
	d, it := op.Detail.(*detail), &op.Item
	d.result = "self"
	switch name {
	case "createItem":
		it.Name = str(in, "name")
		it.TemplateID = normalizeID(str(in, "template"))
		it.ParentID = normalizeID(str(in, "parent"))
		d.fieldNames = fieldNames(in)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemAdded})
	case "updateItem":
		target(in, "id", it)
		d.fieldNames = fieldNames(in)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemSaved})
	case "deleteItem":
		target(in, "id", it)
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleting})
		op.AddEvent(dispatch.Event{Name: dispatch.EventItemDeleted})
	default:
		return false
	}
	return true
}

// fieldNames returns the names in a fields: [{name, value}] argument.
func fieldNames(in map[string]any) []string {
	list, _ := in["fields"].([]any)
	var names []string
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			if n := str(m, "name"); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// integer reads a number given as a GraphQL Int, a JSON number or a
// numeric string.
func integer(m map[string]any, key string) int {
	switch v := m[key].(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}
