# A removed block and a check inside a child module.
removed {
  from = terraform_data.gone

  lifecycle {
    destroy = false
  }
}

resource "terraform_data" "kept" {
  input = "kept"
}

check "kept_input" {
  assert {
    condition     = terraform_data.kept.input == "other"
    error_message = "input is not other"
  }
}
