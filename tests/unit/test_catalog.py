import pytest

from monasca_docker import catalog, plan
from monasca_docker.errors import UserError

FAMILY = """
[images.root]
repository = "x/root"
recipe = "rootfs"
title = "root"
description = "root"

[images.base]
repository = "x/base"
parent = "root"
title = "base"
description = "base"

[images.api]
repository = "x/api"
parent = "base"
title = "api"
description = "api"

[images.client]
repository = "x/client"
parent = "base"
title = "client"
description = "client"
"""


def names(images):
    return [image.name for image in images]


def test_build_order_puts_parents_first_and_keeps_catalog_order():
    images = catalog.parse(FAMILY)
    assert names(catalog.build_order(images)) == ["root", "base", "api", "client"]


def test_one_image_brings_its_ancestors_only():
    images = catalog.parse(FAMILY)
    assert names(catalog.build_order(images, ["client"])) == ["root", "base", "client"]


WITH_BUILDER = FAMILY + """
[images.builder]
repository = "x/builder"
parent = "base"
title = "builder"
description = "builder"

[images.notification]
repository = "x/notification"
parent = "base"
builder = "builder"
title = "notification"
description = "notification"
"""


def test_an_images_builder_is_built_before_it_and_its_change_rebuilds_it():
    images = catalog.parse(WITH_BUILDER)
    assert names(catalog.build_order(images, ["notification"])) == ["root", "base", "builder", "notification"]
    assert names(catalog.build_order(images)) == ["root", "base", "api", "client", "builder", "notification"]
    assert catalog.depth(images, "notification") == 3 and catalog.depth(images, "api") == 2
    assert catalog.built_upon(images) == {"root", "base", "builder"}
    assert plan.affected(images, ["images/builder/Dockerfile"]) == ["root", "base", "builder", "notification"]


def test_unknown_builder_is_refused():
    with pytest.raises(UserError, match="entry 'a': unknown builder 'nope'"):
        catalog.parse('[images.a]\nrepository="a"\ntitle="a"\ndescription="a"\nbuilder="nope"\n')


def test_unknown_image_names_the_closest_known_one():
    images = catalog.parse(FAMILY)
    with pytest.raises(UserError, match=r"unknown image 'clinet'; did you mean 'client'\?.*monasca-docker list"):
        catalog.build_order(images, ["clinet"])


def test_unknown_parent_is_refused():
    with pytest.raises(UserError, match="unknown parent 'nope'"):
        catalog.parse('[images.a]\nrepository="a"\ntitle="a"\ndescription="a"\nparent="nope"\n')


def test_parent_cycle_is_refused():
    text = ('[images.a]\nrepository="a"\ntitle="a"\ndescription="a"\nparent="b"\n'
            '[images.b]\nrepository="b"\ntitle="b"\ndescription="b"\nparent="a"\n')
    with pytest.raises(UserError, match="cycle"):
        catalog.parse(text)


def test_malformed_catalog_and_unknown_fields_are_clear_errors():
    with pytest.raises(UserError, match="not valid TOML"):
        catalog.parse("[images.a\n")
    with pytest.raises(UserError, match="entry 'a'.*colour"):
        catalog.parse('[images.a]\nrepository="a"\ntitle="a"\ndescription="a"\ncolour="red"\n')


def test_the_project_catalog_has_every_image_folder():
    images = catalog.load()
    for image in images.values():
        recipe_file = "mkrootfs" if image.recipe == "rootfs" else "Dockerfile"
        assert (catalog.folder(image) / recipe_file).is_file(), image.name


SERIES = FAMILY.replace('''[images.api]
repository = "x/api"
parent = "base"
''', '''[images.api]
repository = "x/api"
parent = "base"
component = "x-api"
version = "11.0.0"
releases = { "2023.1" = "10.0.0" }
''') + '''
[images.api-child]
repository = "x/api-child"
parent = "api"
title = "built FROM api"
description = "built FROM api"
'''


def test_another_series_takes_its_releases_and_tags_them_and_their_children_only():
    images = catalog.parse(SERIES)
    previous = catalog.for_series(images, "2023.1")
    api = previous["api"]
    assert (api.version, api.series, api.ref) == ("10.0.0", "2023.1", "x/api:2023.1")
    assert previous["api-child"].ref == "x/api-child:2023.1"
    assert previous["api-child"].series == images["api-child"].series     # no component of its own
    for shared in ("root", "base", "client"):
        assert previous[shared] == images[shared]
    assert images["api"].ref == "x/api:latest" and images["api"].version == "11.0.0"


def test_a_series_the_catalog_has_no_release_of_is_refused_naming_those_it_has():
    with pytest.raises(UserError, match=r"no release of series '2022.2' \(it knows 2023.1\)"):
        catalog.for_series(catalog.parse(SERIES), "2022.2")


def test_the_project_catalog_has_a_lock_for_each_release_of_another_series():
    root = catalog.project_root()
    for image in catalog.load(root).values():
        for series, _ in image.releases:
            assert (root / "locks" / series / f"{image.name}.txt").is_file(), (image.name, series)
