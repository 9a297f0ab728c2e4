package dev.kiln.spark.ml;

import dev.kiln.nn.Module;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Builds a {@link ModelSpec}: resolves its class (a public concrete {@link Module} subclass, checked before the class
 * is initialized), picks the one public constructor whose parameter types accept the JSON-valued arguments at the
 * lowest conversion cost, builds nested specs, and calls it. See {@link ModelSpec} for the rule.
 */
final class SpecBuilder {
    private static final int NO = -1;

    private SpecBuilder() {
    }

    static Module build(ModelSpec spec) {
        Class<? extends Module> cls = moduleClass(spec.className());
        List<Object> args = spec.args();
        Constructor<?>[] ctors = cls.getConstructors();
        Arrays.sort(ctors, Comparator.comparing(Constructor::toGenericString));
        Constructor<?> best = null;
        int bestCost = Integer.MAX_VALUE;
        boolean tie = false;
        for (Constructor<?> c : ctors) {
            int cost = cost(c, args);
            if (cost != NO && cost < bestCost) {
                best = c;
                bestCost = cost;
                tie = false;
            } else if (cost != NO && cost == bestCost) {
                tie = true;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("ModelSpec " + spec + ": no public constructor of " + cls.getName()
                    + " accepts these arguments; its public constructors are " + signatures(ctors));
        }
        if (tie) {
            throw new IllegalArgumentException("ModelSpec " + spec + ": the arguments fit several constructors of "
                    + cls.getName() + " equally well " + signatures(ctors) + "; give numbers as 1 vs 1.0 to choose");
        }
        List<Module> built = new ArrayList<>();
        try {
            Object[] values = convert(best, args, built);
            return (Module) best.newInstance(values);
        } catch (InvocationTargetException e) {
            built.forEach(Module::close);
            Throwable cause = e.getCause();
            throw new IllegalArgumentException("ModelSpec " + spec + ": " + cls.getSimpleName() + "'s constructor "
                    + "threw " + cause, cause);
        } catch (ReflectiveOperationException e) {
            built.forEach(Module::close);
            throw new IllegalArgumentException("ModelSpec " + spec + ": cannot call " + best + ": " + e, e);
        } catch (RuntimeException e) {
            built.forEach(Module::close);
            throw e;
        }
    }

    /** Loads {@code name} without initializing it, and accepts only public concrete Module subclasses. */
    static Class<? extends Module> moduleClass(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Class<?> c;
        try {
            c = Class.forName(name, false, loader != null ? loader : SpecBuilder.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            try {
                c = Class.forName(name, false, SpecBuilder.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e2) {
                throw new IllegalArgumentException("ModelSpec class '" + name + "' was not found on the classpath (add "
                        + "the jar that defines it to the driver and executors)", e2);
            }
        }
        if (!Module.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException("ModelSpec class '" + name + "' is not a " + Module.class.getName()
                    + "; a spec may only name Module subclasses");
        }
        if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers())
                || c.getEnclosingClass() != null && !Modifier.isStatic(c.getModifiers())) {
            throw new IllegalArgumentException("ModelSpec class '" + name + "' must be a public, concrete, top-level "
                    + "or static nested class");
        }
        return c.asSubclass(Module.class);
    }

    private static int cost(Constructor<?> c, List<Object> args) {
        Class<?>[] params = c.getParameterTypes();
        if (!c.isVarArgs() || args.size() == params.length && fitsDirectly(args.get(params.length - 1),
                params[params.length - 1])) {
            if (args.size() != params.length) {
                return NO;
            }
            return sum(args, params, 0, params.length);
        }
        int fixed = params.length - 1;
        if (args.size() < fixed) {
            return NO;
        }
        int head = sum(args, params, 0, fixed);
        if (head == NO) {
            return NO;
        }
        Class<?> component = params[fixed].getComponentType();
        int tail = 1; // prefer an exact-arity constructor over varargs
        for (int i = fixed; i < args.size(); i++) {
            int k = cost(args.get(i), component);
            if (k == NO) {
                return NO;
            }
            tail += k;
        }
        return head + tail;
    }

    private static boolean fitsDirectly(Object arg, Class<?> arrayType) {
        return arg == null || arg instanceof List<?> && cost(arg, arrayType) != NO;
    }

    private static int sum(List<Object> args, Class<?>[] params, int from, int to) {
        int total = 0;
        for (int i = from; i < to; i++) {
            int k = cost(args.get(i), params[i]);
            if (k == NO) {
                return NO;
            }
            total += k;
        }
        return total;
    }

    /** 0: exact, 1: a widening (integer to floating point), NO: not applicable. */
    static int cost(Object arg, Class<?> t) {
        if (arg == null) {
            return t.isPrimitive() ? NO : 0;
        } else if (arg instanceof Long l) {
            if (t == long.class || t == Long.class) {
                return 0;
            } else if (t == int.class || t == Integer.class) {
                return l == l.intValue() ? 0 : NO;
            } else if (t == short.class || t == Short.class) {
                return l == l.shortValue() ? 0 : NO;
            } else if (t == byte.class || t == Byte.class) {
                return l == l.byteValue() ? 0 : NO;
            }
            return t == double.class || t == Double.class || t == float.class || t == Float.class ? 1 : NO;
        } else if (arg instanceof Double) {
            return t == double.class || t == Double.class || t == float.class || t == Float.class ? 0 : NO;
        } else if (arg instanceof Boolean) {
            return t == boolean.class || t == Boolean.class ? 0 : NO;
        } else if (arg instanceof String s) {
            if (t == String.class || t == CharSequence.class) {
                return 0;
            }
            return t.isEnum() && enumConstant(t, s) != null ? 0 : NO;
        } else if (arg instanceof ModelSpec spec) {
            return Module.class.isAssignableFrom(t) && t.isAssignableFrom(moduleClass(spec.className())) ? 0 : NO;
        } else if (arg instanceof List<?> list) {
            if (!t.isArray()) {
                return NO;
            }
            int total = 0;
            for (Object e : list) {
                int k = cost(e, t.getComponentType());
                if (k == NO) {
                    return NO;
                }
                total += k;
            }
            return total;
        }
        return NO;
    }

    private static Object[] convert(Constructor<?> c, List<Object> args, List<Module> built) {
        Class<?>[] params = c.getParameterTypes();
        Object[] out = new Object[params.length];
        boolean spread = c.isVarArgs() && !(args.size() == params.length
                && fitsDirectly(args.get(params.length - 1), params[params.length - 1]));
        int fixed = spread ? params.length - 1 : params.length;
        for (int i = 0; i < fixed; i++) {
            out[i] = value(args.get(i), params[i], built);
        }
        if (spread) {
            Class<?> component = params[fixed].getComponentType();
            Object array = Array.newInstance(component, args.size() - fixed);
            for (int i = fixed; i < args.size(); i++) {
                Array.set(array, i - fixed, value(args.get(i), component, built));
            }
            out[fixed] = array;
        }
        return out;
    }

    private static Object value(Object arg, Class<?> t, List<Module> built) {
        if (arg == null) {
            return null;
        } else if (arg instanceof Long l) {
            if (t == int.class || t == Integer.class) {
                return l.intValue();
            } else if (t == short.class || t == Short.class) {
                return l.shortValue();
            } else if (t == byte.class || t == Byte.class) {
                return l.byteValue();
            } else if (t == double.class || t == Double.class) {
                return l.doubleValue();
            } else if (t == float.class || t == Float.class) {
                return l.floatValue();
            }
            return l;
        } else if (arg instanceof Double d) {
            return t == float.class || t == Float.class ? (Object) d.floatValue() : d;
        } else if (arg instanceof String s && t.isEnum()) {
            return enumConstant(t, s);
        } else if (arg instanceof ModelSpec spec) {
            Module m = build(spec);
            built.add(m);
            return m;
        } else if (arg instanceof List<?> list) {
            Object array = Array.newInstance(t.getComponentType(), list.size());
            for (int i = 0; i < list.size(); i++) {
                Array.set(array, i, value(list.get(i), t.getComponentType(), built));
            }
            return array;
        }
        return arg;
    }

    private static Object enumConstant(Class<?> t, String name) {
        for (Object c : t.getEnumConstants()) {
            if (((Enum<?>) c).name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static String signatures(Constructor<?>[] ctors) {
        List<String> s = new ArrayList<>();
        for (Constructor<?> c : ctors) {
            StringBuilder b = new StringBuilder(c.getDeclaringClass().getSimpleName()).append('(');
            Class<?>[] p = c.getParameterTypes();
            for (int i = 0; i < p.length; i++) {
                boolean varargs = c.isVarArgs() && i == p.length - 1;
                b.append(i > 0 ? ", " : "").append(varargs ? p[i].getComponentType().getSimpleName() + "..."
                        : p[i].getSimpleName());
            }
            s.add(b.append(')').toString());
        }
        return s.toString();
    }
}
