"""Package data: the tag_extension folder, shipped inside the wheel as collector._data.tag_extension."""
