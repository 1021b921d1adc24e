package sitecore

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// The Workbox's "send all" (workflow:sendall) names a command and a state,
// not items: Sitecore runs the command on every item version in the state
// that the editor may change. Before the request is forwarded, the
// classifier reads those item versions through the Authoring API's search,
// as Sitecore's own Workbox replacements do, and replaces the command with
// one per item version, each validated and fired like a ticked one. The
// editor's rights narrow Sitecore's set, so the read set is a superset.

// inStateQuery reads one page of the item versions in a workflow state from
// the content search index. It also reads each version's state as stored,
// because the index may lag behind.
//
// NOTE: the type of a result's version (Int or String) is unconfirmed, so
// both are read.
//
// The shape (search(query: {index, latestVersionOnly, paging,
// filterStatement: {criteria}})) and the index field __workflow_state,
// holding the state's id as 32 lower-case digits, are those of
// BlazorWorkbox's WorkboxItemsSearchRequest, a Workbox built on the
// Authoring API.
const inStateQuery = `query CmsWebhooksInState($index: String!, $state: String!, $pageIndex: Int!, $pageSize: Int!) {
  search(query: {
    index: $index
    latestVersionOnly: false
    paging: { pageIndex: $pageIndex, pageSize: $pageSize }
    filterStatement: { criteria: [{ criteriaType: EXACT, operator: MUST, field: "__workflow_state", value: $state }] }
  }) {
    totalCount
    results { itemId version language { name } innerItem { workflow { workflowState { stateId } } } }
  }
}`

// inStatePageSize is the number of item versions read per search request.
const inStatePageSize = 500

// DefaultSearchIndex is the content search index that the classifier reads
// the items of a workflow state from.
const DefaultSearchIndex = "sitecore_master_index"

// sendAll returns the operation for a command on every item version in
// state ws, with the read of its first page of items. commentFirst is set
// when the Workbox prompts for one comment before it runs the command.
func (c *Classifier) sendAll(command, ws string, session editorSession, commentFirst bool) *dispatch.Operation {
	op := shellOp(command, dispatch.Item{}, session)
	op.Detail.(*detail).commentNeeded = commentFirst
	op.StatusChange.ItemsUnknown = true
	state, err := dispatch.ParseGUID(ws)
	if c.cfg.BlockSendAll {
		// Without a read, the items stay unknown, so a command with
		// validation actions is refused.
		err = errors.New("send all is blocked")
	}
	if err != nil {
		// The Workbox runs nothing for an invalid state, so there is
		// nothing to read and the items stay unknown.
		return op
	}
	op.StatusChange.FromState = state
	op.Lookups = append(op.Lookups, c.inStateRead(state, 0))
	return op
}

// inStateRead builds the read of one page of the item versions in a state.
// Its Apply collects them and appends the read of the next page, or, after
// the last page, replaces the operation with one per item version. A read
// that fails leaves the operation on unknown items.
func (c *Classifier) inStateRead(state string, page int) dispatch.Lookup {
	body, _ := json.Marshal(map[string]any{
		"query": inStateQuery,
		"variables": map[string]any{
			"index":     c.cfg.SearchIndex,
			"state":     strings.ReplaceAll(state, "-", ""),
			"pageIndex": page,
			"pageSize":  inStatePageSize,
		},
	})
	return c.authoringRead(body, "search", func(op *dispatch.Operation, search gjson.Result) {
		d := op.Detail.(*detail)
		if page == 0 {
			d.inState = nil
		}
		results := search.Get("results").Array()
		for _, r := range results {
			stored := r.Get("innerItem.workflow.workflowState.stateId").String()
			if stored != "" && normalizeID(stored) != state {
				// The index is behind, because the version has left the state.
				continue
			}
			it := dispatch.Item{
				ID:       normalizeID(r.Get("itemId").String()),
				Language: r.Get("language.name").String(),
				Version:  int(r.Get("version").Int()),
			}
			if it.ID != "" {
				d.inState = append(d.inState, inStateItem{item: it, stateRead: stored != ""})
			}
		}
		if read := (page + 1) * inStatePageSize; len(results) > 0 && int64(read) < search.Get("totalCount").Int() {
			op.Lookups = append(op.Lookups, c.inStateRead(state, page+1))
			return
		}
		c.fanOut(op, d)
	})
}

// inStateItem is an item version that a search found in a state, and
// whether its stored state was read too, rather than only the index's.
type inStateItem struct {
	item      dispatch.Item
	stateRead bool
}

// fanOut replaces a command on unknown items with one per item version
// read. With none in the state, the operation runs nothing.
func (c *Classifier) fanOut(op *dispatch.Operation, d *detail) {
	change := changeOf(op)
	if change == nil {
		return
	}
	for _, found := range d.inState {
		perItem := shellOp(change.CommandID, found.item, d.session)
		perItem.StatusChange.FromState = change.FromState
		pd := perItem.Detail.(*detail)
		// A continuation's fan-out settles the flow it continues.
		// Sitecore skips, without an alert, items the editor may not
		// change, so whether each ran is read after the response.
		pd.stateRead, pd.flow, pd.readsOutcome = found.stateRead, d.flow, true
		if d.commentNeeded {
			// The Workbox prompts for one comment first, and runs the
			// command in the continuation.
			pd.commentNeeded = true
			c.hold(perItem)
		}
		op.Fanout = append(op.Fanout, perItem)
	}
	d.inState = nil
	op.StatusChange, d.pendingChange = nil, nil
}
