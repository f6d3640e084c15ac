// The template picker: one radio button a template (a real form control, so arrow keys move
// between them), each with its preview picture fetched with the caller's key.

export class TemplatePicker {
  constructor(api, fieldset, onPick) {
    this.api = api;
    this.fieldset = fieldset;
    this.onPick = onPick;
    this.pictures = [];
  }

  get value() {
    return this.fieldset.querySelector("input:checked")?.value ?? null;
  }

  /** Check `name` without telling the page (it already knows). */
  set value(name) {
    for (const input of this.fieldset.querySelectorAll("input")) input.checked = input.value === name;
  }

  show(templates) {
    for (const url of this.pictures) URL.revokeObjectURL(url);
    this.pictures = [];
    const cards = templates.map((template) => {
      const label = document.createElement("label");
      label.className = "card";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "template";
      input.value = template.name;
      input.addEventListener("change", () => this.onPick(template.name));
      const picture = document.createElement("img");
      picture.alt = "";
      picture.hidden = true;
      if (template.preview) this.picture(picture, template.preview);
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = template.title;
      const name = document.createElement("code");
      name.textContent = template.name;
      const description = document.createElement("span");
      description.className = "description";
      description.textContent = template.description;
      label.append(input, picture, title, name, description);
      return label;
    });
    this.fieldset.replaceChildren(this.fieldset.querySelector("legend"), ...cards);
  }

  async picture(image, path) {
    try {
      const response = await this.api.request("GET", path);
      if (!response.ok) return;
      const url = URL.createObjectURL(await response.blob());
      this.pictures.push(url);
      image.src = url;
      image.hidden = false;
    } catch {
      // A missing picture leaves the card with its words.
    }
  }
}
