// The main navigation's menus (templates/includes/main_navigation.html) are <details>,
// which open and close by keyboard and pointer without this file. It adds what people
// expect of a menu: Escape closes the open one and returns to its button, and moving
// the focus or clicking elsewhere closes it, so that it never covers the page.
"use strict";
(() => {
  const openGroups = () => document.querySelectorAll(".nav-group > details[open]");

  function closeGroupsOutside(target) {
    for (const group of openGroups()) {
      if (!group.contains(target)) group.open = false;
    }
  }

  document.addEventListener("focusin", (event) => closeGroupsOutside(event.target));
  document.addEventListener("click", (event) => closeGroupsOutside(event.target));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const focused = document.activeElement;
    const group = focused && focused.closest(".nav-group > details[open]");
    const menu = document.querySelector(".nav-menu[open]");
    if (group) {
      group.open = false;
      group.querySelector("summary").focus();
    } else if (menu && focused && focused.closest(".main-nav, .nav-menu")) {
      menu.open = false;
      menu.querySelector("summary").focus();
    } else {
      closeGroupsOutside(null);
    }
  });
})();
