resource "terraform_data" "a" {
  input = {
    p = [1, 2, 3]
    q = ["a", "b", "c", "d", "e", "f"]
    r = tolist(["x", "y"])
    m = tomap({ k1 = "v1", k2 = "v2" })
    e = ""
    n = null
    o = [{ k = 1 }, { k = 2 }]
    t = ["a", "b"]
    w = { "with space" = 1, plain = 2 }
  }
}
