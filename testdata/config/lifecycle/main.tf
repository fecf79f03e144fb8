resource "terraform_data" "all" {
  lifecycle {
    ignore_changes  = all
    prevent_destroy = true
  }
}

resource "terraform_data" "paths" {
  for_each = var.m
  lifecycle {
    ignore_changes       = [input, tags["Name"], list[0], a.b.c, "quoted"]
    replace_triggered_by = [terraform_data.all, terraform_data.all.id, terraform_data.x[each.key]]
    precondition {
      condition     = true
      error_message = "pre"
    }
    postcondition {
      condition     = self.id != ""
      error_message = "post"
    }
  }
}

resource "terraform_data" "bad" {
  lifecycle {
    ignore_changes       = [upper("x"), a[var.k]]
    replace_triggered_by = [var.x, local.y]
    precondition {
      condition = true
    }
  }
  lifecycle {}
}

resource "terraform_data" "bad2" {
  lifecycle {
    ignore_changes = "tags"
  }
}

resource "terraform_data" "quoted_provider" {
  provider = "terraform.alt"
}

resource "terraform_data" "bad_provider" {
  provider = terraform.x.y
}
