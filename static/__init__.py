"""Package data: the static folder, shipped inside the wheel as collector._data.static."""
