// A fixed value of any JSON type.
M["dataElements/constant"] = s => s.value;
