resource "x" "y" {
  count = length(
    var.items
  )
  list = [
    "a",
    "b",
  ]
  block {
    inner {
      value = true
    }
  }
  dynamic "setting" {
    for_each = var.settings
    content {
      name  = setting.key
      value = setting.value
    }
  }
}
