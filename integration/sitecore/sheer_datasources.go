package sitecore

import (
	"encoding/xml"
	"strings"

	"github.com/google/uuid"
)

// runOnDatasources runs a workflow command on the data-source items of a
// page's renderings, as Sitecore's WorkflowWithDatasourceItems command does
// once the page's command has completed. Each item whose current state
// offers the same command runs it, with the same comments. The others are
// left alone, without an alert. The data sources come from the page's
// shared and final layout.
//
// NOTE: Sitecore also takes the items of personalization rules and content
// tests, and skips items the user cannot write or that another user has
// locked; the emulator models neither.
func (e *Emulator) runOnDatasources(page *item, lang string, v *itemVersion, commandID uuid.UUID, comments, user string) {
	for _, ds := range renderingDatasources(page, lang, v) {
		it, err := e.store.resolveItem(ds)
		if err != nil || it == page {
			continue
		}
		latest := it.version(lang, 0)
		if latest == nil || !e.commandOffered(it, latest, commandID.String()) {
			continue
		}
		e.store.executeCommand(it, lang, latest, commandID, comments, user)
	}
}

// renderingDatasources lists the data sources of a page's renderings as
// ids or paths: the ds attribute of each rendering (r) element of the
// shared layout (__Renderings) and of the version's final layout (__Final
// Renderings, whose deltas write it s:ds). A data source "local:/x" is
// the path x below the page.
func renderingDatasources(page *item, lang string, v *itemVersion) []string {
	var out []string
	for _, layout := range []string{page.value(fieldRenderings, lang, v), page.value(fieldFinalLayout, lang, v)} {
		dec := xml.NewDecoder(strings.NewReader(layout))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			el, ok := tok.(xml.StartElement)
			if !ok || el.Name.Local != "r" {
				continue
			}
			for _, attr := range el.Attr {
				if attr.Name.Local != "ds" || attr.Value == "" {
					continue
				}
				ds := attr.Value
				if rest, ok := strings.CutPrefix(ds, "local:"); ok {
					ds = page.path() + "/" + strings.TrimPrefix(rest, "/")
				}
				out = append(out, ds)
			}
		}
	}
	return out
}
