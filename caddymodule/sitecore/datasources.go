package sitecore

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// The Experience Editor's workflow command,
// webedit:workflowwithdatasourceitems, runs on the page and on the
// data-source items of its renderings whose state offers the command. The
// request names the page only. With DatasourceItems, the classifier reads
// the page's layout before forwarding, adds a command for each data-source
// item, reads the state of each, and after the response reads each state
// again, because only a data-source item that moved ran the command.

// layoutQuery reads an item's path and its shared and final layout.
const layoutQuery = `query CmsWebhooksLayout($where: ItemQueryInput) {
  item(where: $where) {
    path
    shared: field(name: "__Renderings") { value }
    final: field(name: "__Final Renderings") { value }
  }
}`

// datasourcesRead builds the read of the page's layout. Its Apply replaces
// the page's command with the page's and one per data-source item, and
// appends the read of each data-source item's state. When the read fails,
// the command runs on items the sidecar does not know, so one with
// validation actions is refused.
func (c *Classifier) datasourcesRead(page dispatch.Item, runsNow bool) dispatch.Lookup {
	l := c.authoringRead(queryBody(layoutQuery, page), "item", func(op *dispatch.Operation, item gjson.Result) {
		refs := datasources(item.Get("shared.value").String(), item.Get("final.value").String(), item.Get("path").String())
		if len(refs) == 0 {
			return
		}
		d := op.Detail.(*detail)
		op.Fanout = []*dispatch.Operation{op.Clone()}
		op.Fanout[0].Lookups = nil
		for _, ref := range refs {
			if ref.ID == page.ID {
				continue
			}
			ref.Language, ref.Version = page.Language, 0
			source := shellOp(changeOf(op).CommandID, ref, d.session)
			sd := source.Detail.(*detail)
			sd.readsOutcome, sd.commentNeeded, sd.validatedEarly, sd.flow = true, d.commentNeeded, d.validatedEarly, d.flow
			if !runsNow {
				c.hold(source)
			}
			op.Fanout = append(op.Fanout, source)
			op.Lookups = append(op.Lookups, c.datasourceStateRead(source))
		}
	})
	apply := l.Apply
	l.Apply = func(op *dispatch.Operation, status int, answer []byte) {
		if status != http.StatusOK || !gjson.GetBytes(answer, "data.item").IsObject() {
			changeOf(op).ItemsUnknown = true
			return
		}
		apply(op, status, answer)
	}
	return l
}

// datasourceStateRead reads the state of a data-source item into its own
// operation. An item in no workflow state cannot run the command, and one
// that the page's operations already cover (named once by id and once by
// path, or the page itself) runs it once, so its operation is cleared.
func (c *Classifier) datasourceStateRead(source *dispatch.Operation) dispatch.Lookup {
	return c.authoringRead(queryBody(stateQuery, source.Item), "item", func(page *dispatch.Operation, item gjson.Result) {
		if item.Get("itemId").Exists() {
			source.Item.ID = normalizeID(item.Get("itemId").String())
		}
		id := item.Get("workflow.workflowState.stateId").String()
		if id == "" || coveredElsewhere(page.Fanout, source) {
			source.StatusChange = nil
			source.Detail.(*detail).pendingChange = nil
			return
		}
		changeOf(source).FromState = normalizeID(id)
		source.Detail.(*detail).stateRead = true
	})
}

// coveredElsewhere reports whether another operation of the fan-out runs
// the command on the same item, with its state read, or is the page.
func coveredElsewhere(fanout []*dispatch.Operation, op *dispatch.Operation) bool {
	for i, other := range fanout {
		if other == op || other.Item.ID == "" || other.Item.ID != op.Item.ID || changeOf(other) == nil {
			continue
		}
		if i == 0 || other.Detail.(*detail).stateRead {
			return true
		}
	}
	return false
}

// changeOf returns the status change of a workflow command, held back or
// not.
func changeOf(op *dispatch.Operation) *dispatch.StatusChange {
	if op.StatusChange != nil {
		return op.StatusChange
	}
	return op.Detail.(*detail).pendingChange
}

// datasources lists the data-source items that the renderings of a layout
// name, from the shared and the final layout, each once: an id, a path, or
// a path below the page (local:). Sitecore's layout XML gives each
// rendering (r) a ds attribute, which the final layout's deltas write as
// s:ds. Data sources that are queries are skipped.
//
// NOTE: renderings that the final layout removes are still listed, so the
// list may be a superset. Commands on those items are validated, and fire
// only when the item's state changed.
func datasources(shared, final, pagePath string) []dispatch.Item {
	seen := map[string]bool{}
	var out []dispatch.Item
	for _, layout := range []string{shared, final} {
		for _, ds := range layoutDatasources(layout) {
			var it dispatch.Item
			switch {
			case strings.HasPrefix(strings.ToLower(ds), "local:"):
				if pagePath == "" {
					continue
				}
				it.Path = pagePath + "/" + strings.TrimLeft(ds[len("local:"):], "/")
			case strings.HasPrefix(ds, "/"):
				it.Path = ds
			default:
				id, err := dispatch.ParseGUID(ds)
				if err != nil {
					continue
				}
				it.ID = id
			}
			key := strings.ToLower(it.ID + it.Path)
			if !seen[key] {
				seen[key] = true
				out = append(out, it)
			}
		}
	}
	return out
}

// layoutDatasources returns the ds attributes of the rendering elements of
// a layout, in document order. A layout that is not XML yields those read
// before the error.
func layoutDatasources(layout string) []string {
	var out []string
	dec := xml.NewDecoder(strings.NewReader(layout))
	for {
		tok, err := dec.Token()
		if err != nil {
			// io.EOF ends a layout, and any other error ends reading it.
			return out
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "r" {
			continue
		}
		for _, attr := range start.Attr {
			if attr.Name.Local == "ds" && strings.TrimSpace(attr.Value) != "" {
				out = append(out, strings.TrimSpace(attr.Value))
			}
		}
	}
}
