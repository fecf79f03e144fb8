resource "terraform_data" "src" {
  input = "v1"
}
resource "terraform_data" "dep" {
  input = "static"
  lifecycle {
    replace_triggered_by = [terraform_data.src]
  }
}
