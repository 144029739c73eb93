"""Package data: the schemas folder, shipped inside the wheel as collector._data.schemas."""
