import { useState } from "react";
import { TextField, type TextFieldProps } from "@shopify/polaris";

/** A Polaris TextField that keeps its own value, for plain Remix <Form> posts. */
export function FormTextField({ defaultValue, ...props }: Omit<TextFieldProps, "value" | "onChange" | "autoComplete"> & { defaultValue: string; autoComplete?: string }) {
  const [value, setValue] = useState(defaultValue);
  return <TextField {...props} autoComplete={props.autoComplete ?? "off"} value={value} onChange={setValue} />;
}
