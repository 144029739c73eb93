// A global JavaScript value by dot path ("digitalData.page.name", "products[0].sku").
M["dataElements/jsVariable"] = (s, ev, t) => dig(t.win, s.path.replace(/^window\./, ""));
