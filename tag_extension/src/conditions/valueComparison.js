// A data element compared with a value (which may itself reference data elements).
M["conditions/valueComparison"] = (s, ev, t) =>
  cmp(t.val(s.dataElement, ev), s.operator, s.value, s.caseInsensitive);
