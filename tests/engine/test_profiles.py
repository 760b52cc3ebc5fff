"""reidlib.engine.profiles: the length a recipe trains under a profile, by hand."""

def test_recipe_length_is_its_entry_else_the_profile_epochs() -> None:
    from reidlib.engine.profiles import recipe_length

    prof = {"epochs": 512, "recipe_epochs": {"mpm_ltl": 256}}
    assert recipe_length(prof, "mpm_ltl") == 256 and recipe_length(prof, "mgcam") == 512
    assert recipe_length({"epochs": None}, "mgcam") is None  # the paper's own length
