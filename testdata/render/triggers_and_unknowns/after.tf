resource "terraform_data" "src" {
  input = "v2"
}
resource "terraform_data" "dep" {
  input = "static"
  lifecycle {
    replace_triggered_by = [terraform_data.src]
  }
}
resource "terraform_data" "uses" {
  input = { from = terraform_data.src.output, fixed = "x", list = [terraform_data.src.id, "y"] }
}
