/**
 * `llm.virtualModels`: a model name clients ask for that the gateway serves from other
 * configured models (agentgateway's `LocalLLMVirtualModel`): weighted, by failover priority, or
 * by condition (CEL `when`, the first true wins). Each target `model` is resolved against `llm.models` like a client's model.
 */
import { z } from "zod";
import { exactlyOne } from "./parts.ts";

const Target = z.string().min(1);

export const LlmVirtualModel = z
  .strictObject({
    name: z.string().min(1),
    routing: z
      .strictObject({
        weighted: z.strictObject({ targets: z.array(z.strictObject({ model: Target, weight: z.int().min(0).nullish() })).min(1) }).nullish(),
        failover: z.strictObject({ targets: z.array(z.strictObject({ model: Target, priority: z.int().min(0) })).min(1) }).nullish(),
        conditional: z
          .strictObject({ targets: z.array(z.strictObject({ when: z.string().min(1).nullish(), model: Target })).min(1) })
          .refine((c) => c.targets.every((t, i) => t.when || i === c.targets.length - 1), { error: "only the last conditional target may omit 'when' (it is the fallback)" })
          .nullish(),
      })
      .superRefine(exactlyOne(["weighted", "failover", "conditional"], "routing")),
  })
  .meta({ id: "LlmVirtualModel" });

export type RawLlmVirtualModel = z.output<typeof LlmVirtualModel>;
